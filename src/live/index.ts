export { HostEnforcer, type VerdictSink } from './host-enforcer.js';
export { installQueueRules, removeQueueRules, installCommands, removeCommands, QueueRuleError, QUEUE_CHAIN } from './queue-rules.js';
