// Whose account a flow-log record names. AWS writes the account that owns the network interface.
// The model keeps no owner per interface (the state files' describe-network-interfaces `OwnerId`
// is not read), but it keeps one per group (describe-security-groups' `OwnerId`, the service's
// account when a file leaves it out), and EC2 attaches an interface only to groups of its own
// VPC: so an interface's account is the owner of its first group the model knows.
import type { ModelView } from '../model/model-view.js';

/**
 * The owner of each interface of `view`, or undefined for an interface (or group) it does not
 * know. Rebuilt only when the model's version moves, so a window's records cost a map lookup each.
 */
export function interfaceOwners(view: ModelView): (interfaceId: string) => string | undefined {
  let version = -1;
  let owners = new Map<string, string>();
  return (interfaceId) => {
    if (view.version !== version) {
      version = view.version;
      owners = new Map();
      for (const eni of view.interfaces()) {
        for (const groupId of eni.groupIds) {
          const owner = view.group(groupId)?.ownerId;
          if (owner === undefined) continue;
          owners.set(eni.interfaceId, owner);
          break;
        }
      }
    }
    return owners.get(interfaceId);
  };
}
