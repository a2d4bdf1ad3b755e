// DryRun (issue 8, issue 15): "DryRunOperation when the call would succeed and the real error
// otherwise". The service runs the action on a draft it throws away (SecurityGroupService.dryRun),
// so validation is exactly the real call's, and the served model, its version, its id generator
// and its change listeners (the dataplane) never see it. Nothing is copied but the draft's maps.

import type { SecurityGroupService } from '../control/service.js';

export function dryRunWithoutApplying(service: SecurityGroupService): (action: string, params: Record<string, unknown>) => unknown {
  return (action, params) => service.dryRun(action, params);
}
