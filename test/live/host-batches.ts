// Hand-made NFQUEUE batches and Albert's state (seed 000) in a temporary file, for host-mode tests.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { META_STRIDE, NfqMeta, type NfqueueBatch } from '../../src/capture/nfqueue.js';
import { buildFrame, type FrameSpec } from '../../src/packet/frame-builder.js';

export const ALBERT_STATE = join(import.meta.dirname, '..', '..', 'pcaps', 'albert', 'state.json');
export const ALBERT_ENI = 'eni-0a1b2c3d4e5f60001';

/**
 * The packets of `specs` as the kernel queues them: whole, or only their first `copy` bytes
 * (NfqMeta.LENGTH) of a longer packet (NfqMeta.WIRE_LENGTH), as a header-only copy range does.
 */
export function batchOf(specs: FrameSpec[], copy = Infinity): NfqueueBatch {
  return batchOfPackets(specs.map((s) => buildFrame({ link: 'raw', ...s })), copy);
}

/** As batchOf, for raw IP packets already built. */
export function batchOfPackets(packets: Uint8Array[], copy = Infinity): NfqueueBatch {
  const data = new Uint8Array(packets.reduce((n, f) => n + f.length, 0));
  const meta = new Uint32Array(packets.length * META_STRIDE);
  let offset = 0;
  packets.forEach((f, i) => {
    data.set(f, offset);
    meta[i * META_STRIDE + NfqMeta.ID] = 100 + i;
    meta[i * META_STRIDE + NfqMeta.OFFSET] = offset;
    meta[i * META_STRIDE + NfqMeta.LENGTH] = Math.min(f.length, copy);
    meta[i * META_STRIDE + NfqMeta.WIRE_LENGTH] = f.length;
    offset += f.length;
  });
  return { count: packets.length, meta, data, verdicts: new Uint8Array(packets.length) };
}

/** Albert's state, edited by `edit`, written to a fresh temporary file. */
export function albertStateFile(edit: (state: AlbertState) => void = () => {}): string {
  const state = JSON.parse(readFileSync(ALBERT_STATE, 'utf8')) as AlbertState;
  edit(state);
  const file = join(mkdtempSync(join(tmpdir(), 'sgfw-host-')), 'state.json');
  writeFileSync(file, JSON.stringify(state));
  return file;
}

export interface AlbertState {
  SecurityGroups: { IpPermissions: Record<string, unknown>[] }[];
  NetworkInterfaces: Record<string, unknown>[];
}

/** An ingress permission for `port` from anywhere, as describe-security-groups writes it. */
export function openPort(port: number): Record<string, unknown> {
  return { IpProtocol: 'tcp', FromPort: port, ToPort: port, IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] };
}
