// DryRun (issue 8): "DryRunOperation when the call would succeed and the real error otherwise". The
// call runs on a throwaway copy of the model, so validation is exactly the real call's, and the
// served model, its version and its change listeners (the dataplane) never see it.

import { SecurityGroupService } from '../control/service.js';

export function dryRunOnCopy(service: SecurityGroupService): (action: string, params: Record<string, unknown>) => unknown {
  return (action, params) => {
    const copy = new SecurityGroupService({ accountId: service.accountId, defaultVpcId: service.defaultVpcId, limits: service.limits });
    copy.importSnapshot(service.exportSnapshot());
    return copy.call(action, params);
  };
}
