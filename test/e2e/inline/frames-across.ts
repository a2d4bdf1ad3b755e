// Hand-made frames sent from the outside host across a bump in the wire (either capture method),
// and the markers the inside host received: for what a TCP client cannot send (VLAN tags, PPPoE,
// MPLS, LLC/SNAP). Run in the namespaces of bridge-netns.ts.
import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';
import { spawnInNs, waitFor } from '../host-mode/netns.js';
import type { BridgeNet } from './bridge-netns.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const AFPACKET = join(ROOT, 'dist', 'capture', 'afpacket.js');
const FRAMES = join(ROOT, 'dist', 'packet', 'frame-builder.js');

/** Inside: what arrives on the interface for argv[2] ms, printed as the markers (argv[3..]) seen. */
const SEE = `
const [ms, dev, ...markers] = process.argv.slice(1);
import(${JSON.stringify(AFPACKET)}).then(({ AfPacketSocket }) => {
  const seen = new Set();
  const s = new AfPacketSocket(dev, (b) => {
    const text = Buffer.from(b.data).toString('latin1');
    for (const m of markers) if (text.includes(m)) seen.add(m);
  });
  console.log('ready');
  setTimeout(() => { s.close(); console.log(JSON.stringify([...seen].sort())); process.exit(0); }, Number(ms));
});
`;

/**
 * Outside: sends the frames (FrameSpec JSON, argv[2]) out of the interface argv[1]. A spec with
 * `pppoe: true` goes as a PPPoE session frame (EtherType 0x8864, session 1, PPP protocol IPv4, or
 * `pppoe: N` for protocol N); one with `wrap: { etherType, prefix }` as that EtherType, then the
 * `prefix` bytes (hex), then the IP packet (an 802.3 length: the LLC/SNAP's, with etherType 'length').
 */
const SEND = `
const [dev, specs] = process.argv.slice(1);
Promise.all([import(${JSON.stringify(AFPACKET)}), import(${JSON.stringify(FRAMES)})]).then(([{ AfPacketSocket }, { buildFrame, buildIpPacket }]) => {
  const mac = (m) => Buffer.from(m.split(':').map((h) => parseInt(h, 16)));
  const wrapped = (spec, etherType, prefix) => {
    const ip = buildIpPacket(spec);
    const h = Buffer.alloc(14);
    mac(spec.dstMac).copy(h, 0); mac('02:00:00:00:00:01').copy(h, 6);
    h.writeUInt16BE(etherType === 'length' ? prefix.length + ip.length : etherType, 12);
    return Buffer.concat([h, prefix, ip]);
  };
  const pppoe = (spec) => {
    const ip = buildIpPacket(spec);
    const protocol = spec.pppoe === true ? 0x0021 : spec.pppoe;
    const p = Buffer.alloc(8);
    p[0] = 0x11; p[1] = 0; p.writeUInt16BE(1, 2); p.writeUInt16BE(ip.length + 2, 4); p.writeUInt16BE(protocol, 6);
    return wrapped(spec, 0x8864, p);
  };
  const s = new AfPacketSocket(dev, () => {});
  for (const spec of JSON.parse(specs)) {
    const f = spec.pppoe ? pppoe(spec) : spec.wrap ? wrapped(spec, spec.wrap.etherType, Buffer.from(spec.wrap.prefix, 'hex')) : buildFrame(spec);
    s.send(f, f.length);
  }
  s.close();
});
`;

function exited(c: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (c.exitCode !== null ? resolve(c.exitCode) : c.on('exit', (code) => resolve(code))));
}

/** Sends the frames from the outside host; resolves with the markers the inside host received. `children` gets the listener (to kill on a failure). */
export async function crossing(net: BridgeNet, specs: object[], markers: string[], children: ChildProcess[]): Promise<string[]> {
  const see = spawnInNs(net.inside, process.execPath, ['-e', SEE, '2000', net.hostInside, ...markers]);
  children.push(see);
  let out = '';
  see.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor(see, 'stdout', 'ready', 10_000);
  const sent = spawnSync('ip', ['netns', 'exec', net.outside, process.execPath, '-e', SEND, net.hostOutside, JSON.stringify(specs)], { encoding: 'utf8', timeout: 10_000 });
  expect(sent.status, sent.stderr).toBe(0);
  await exited(see);
  return JSON.parse(out.split('\n').filter(Boolean).at(-1)!) as string[];
}

/** MPLS: one label, bottom of stack, TTL 64 (hex, as `wrap.prefix`). */
export const MPLS_LABEL = '00010140';
/** LLC/SNAP (RFC 1042) naming IPv4 (hex, as `wrap.prefix` with etherType 'length'). */
export const SNAP_IPV4 = 'aaaa030000000800';
