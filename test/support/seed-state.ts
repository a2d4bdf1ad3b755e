// The bundled seed states (pcaps/<seed>/state.json) with their first ENI moved to a test network's
// address: what the live tests (host, inline, monitor, the API beside a run) start sgfw with. Each
// test then opens or closes what it needs on the returned document and writes it where it likes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

/** A seed's state document (parsed JSON, as loose as the file) with its first ENI at `address` alone. */
export function seedStateAt(seed: 'albert' | 'conntrack', address: string): any {
  const state = JSON.parse(readFileSync(join(ROOT, 'pcaps', seed, 'state.json'), 'utf8'));
  const eni = state.NetworkInterfaces[0];
  eni.PrivateIpAddress = address;
  eni.PrivateIpAddresses = [{ Primary: true, PrivateIpAddress: address }];
  return state;
}
