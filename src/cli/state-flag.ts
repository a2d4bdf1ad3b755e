// The `--state FILE` flag every command that needs state shares, and the one way to turn it into a
// loaded control-plane service.

import { SecurityGroupService } from '../control/service.js';
import { loadStateFiles } from '../state/index.js';
import type { FlagSpec } from './flags.js';

export const STATE_FLAG: FlagSpec = {
  name: 'state',
  kind: 'string',
  value: 'FILE',
  repeatable: true,
  required: true,
  description: 'AWS CLI JSON: describe-security-groups, -network-interfaces, -managed-prefix-lists; files merge',
};

/**
 * A fresh service holding the content of `files`; throws StateError (exit 2) on bad content. Rule
 * ids follow from the rules themselves (ServiceOptions.ruleIdsFromContent): the same across runs.
 */
export async function serviceFromStateFiles(files: readonly string[]): Promise<SecurityGroupService> {
  const service = new SecurityGroupService({ ruleIdsFromContent: true });
  await loadStateFiles(files, service);
  return service;
}
