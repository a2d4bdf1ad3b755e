// This host's own addresses, the ones an interface's private address is compared with to decide
// whether the host enforces it (`sgfw run --source ec2`). Read from the kernel at every poll:
// addresses come and go (DHCP, a secondary address added by hand), and so do the interfaces they
// select. Loopback is left out: no EC2 interface has a loopback address.
import { networkInterfaces } from 'node:os';
import { canonicalAddress } from './account-view.js';

export function hostAddresses(): ReadonlySet<string> {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (!a.internal) out.add(canonicalAddress(a.address));
  }
  return out;
}
