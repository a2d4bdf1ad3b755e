export { HostEnforcer } from './host-enforcer.js';
export { VerdictDuties, type VerdictSink, type DropLog, type FlowRecorder } from './verdict-duties.js';
export { installQueueRules, removeQueueRules, installCommands, removeCommands, QueueRuleError, QUEUE_CHAIN } from './queue-rules.js';
