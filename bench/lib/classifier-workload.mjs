// The classifier benchmarks' workload: rules that mimic expanded security groups and the packets
// judged against them (see bench/classifier.mjs for the mix). Shared so that every classifier
// benchmark measures the same rules and packets.
import { AddressSets } from '../../dist/classify/index.js';

export const PACKETS = 1 << 16;

export const PORT_SPECS = [
  [6, 22, 22], [6, 80, 80], [6, 443, 443], [6, 3306, 3306], [6, 5432, 5432], [6, 6379, 6379],
  [6, 8080, 8080], [6, 9000, 9100], [6, 30000, 32767], [6, 1024, 65535], [17, 53, 53], [17, 123, 123],
  [17, 4789, 4789], [6, 2049, 2049], [6, 27017, 27019], [6, 9200, 9300], [17, 5000, 6000], [6, 8443, 8443],
];

const v4Text = (a) => `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
const hex = (x) => (x >>> 0).toString(16);
const v6Text = (w) => [w[0] >>> 16, w[0] & 0xffff, w[1] >>> 16, w[1] & 0xffff, w[2] >>> 16, w[2] & 0xffff, w[3] >>> 16, w[3] & 0xffff].map(hex).join(':');
const VPC4 = 0x0a000000; // 10.0.0.0/16
const VPC6 = [0x26001f18, 0x12345600]; // 2600:1f18:1234:5600::/56

export function makeRules(n, rand) {
  const rules = [];
  const members4 = [];
  const members6 = [];
  let index = 0;
  const spec = () => PORT_SPECS[Math.floor(rand() * PORT_SPECS.length)];
  const push = (s, family, prefix, ruleIndex, member) =>
    rules.push({ ruleIndex, protocol: s[0], fromPort: s[1], toPort: s[2], family, prefix, member });
  push([6, 443, 443], 4, '0.0.0.0/0', index++);
  push([6, 443, 443], 6, '::/0', index++);
  push([1, 8, -1], 4, '10.0.0.0/8', index++);
  push([58, 128, -1], 6, `${v6Text([VPC6[0], VPC6[1], 0, 0])}/56`, index++);
  while (rules.length < n) {
    const s = spec();
    if (rand() < 0.1) {
      // a CIDR rule
      const len4 = 8 + Math.floor(rand() * 21);
      const a = (Math.floor(rand() * 2 ** 32) & (0xffffffff << (32 - len4))) >>> 0;
      if (rand() < 0.5) push(s, 4, `${v4Text(a)}/${len4}`, index++);
      else push(s, 6, `${v6Text([(0x20010000 | Math.floor(rand() * 0xffff)) >>> 0, 0, 0, 0])}/32`, index++);
      continue;
    }
    // a group reference expanded to its members (dual-stack: a /32 and a /128 each)
    const members = Math.min(n - rules.length, 2 * (5 + Math.floor(rand() * 100)));
    const ruleIndex = index++;
    for (let m = 0; m + 1 < members || (m < members && members === 1); m += 2) {
      const a4 = (VPC4 | Math.floor(rand() * 65536)) >>> 0;
      const a6 = [VPC6[0], (VPC6[1] | Math.floor(rand() * 256)) >>> 0, 0, Math.floor(rand() * 2 ** 32) >>> 0];
      members4.push({ addr: a4, spec: s });
      members6.push({ addr: a6, spec: s });
      push(s, 4, `${v4Text(a4)}/32`, ruleIndex, [a4, 0, 0, 0]);
      if (m + 1 < members) push(s, 6, `${v6Text(a6)}/128`, ruleIndex, a6);
    }
  }
  return { rules: rules.slice(0, n), members4, members6 };
}

/**
 * The same rules with each group reference as one address-set rule (set number = its position
 * among the references), and the AddressSets holding the members.
 */
export function asAddressSets(rules) {
  const out = [];
  const setOf = new Map(); // ruleIndex → set number
  const entries = [];
  for (const r of rules) {
    if (r.member === undefined) {
      const { member, ...plain } = r;
      out.push(plain);
      continue;
    }
    let set = setOf.get(r.ruleIndex);
    if (set === undefined) {
      setOf.set(r.ruleIndex, (set = setOf.size));
      out.push({ ruleIndex: r.ruleIndex, protocol: r.protocol, fromPort: r.fromPort, toPort: r.toPort, family: 4, prefix: '', addressSet: set });
    }
    entries.push({ family: r.family, words: r.member, sets: [set] });
  }
  const sets = new AddressSets();
  sets.replace(entries);
  return { rules: out, sets };
}

export function makePackets({ members4, members6 }, rand) {
  const p = {
    family: new Uint8Array(PACKETS), protocol: new Uint8Array(PACKETS), port: new Uint16Array(PACKETS),
    code: new Uint8Array(PACKETS), w0: new Uint32Array(PACKETS), w1: new Uint32Array(PACKETS),
    w2: new Uint32Array(PACKETS), w3: new Uint32Array(PACKETS),
  };
  for (let i = 0; i < PACKETS; i++) {
    const v6 = rand() < 0.5;
    p.family[i] = v6 ? 6 : 4;
    const members = v6 ? members6 : members4;
    const where = rand();
    // half the packets go to a member on its rule's port: hits that walk the whole trie
    const member = where < 0.5 && members.length > 0 ? members[Math.floor(rand() * members.length)] : null;
    const r = rand();
    if (member) p.protocol[i] = member.spec[0];
    else if (r < 0.7) p.protocol[i] = 6;
    else if (r < 0.9) p.protocol[i] = 17;
    else if (r < 0.95) p.protocol[i] = v6 ? 58 : 1;
    else p.protocol[i] = 47;
    if (p.protocol[i] === 1 || p.protocol[i] === 58) {
      p.port[i] = v6 ? 128 : 8;
      p.code[i] = 0;
    } else if (p.protocol[i] !== 47) {
      const s = member ? member.spec : PORT_SPECS[Math.floor(rand() * PORT_SPECS.length)];
      p.port[i] = member || rand() < 0.7 ? s[1] + Math.floor(rand() * (s[2] - s[1] + 1)) : Math.floor(rand() * 65536);
    }
    if (v6) {
      let w;
      if (member) w = member.addr;
      else if (where < 0.8) w = [VPC6[0], VPC6[1] | Math.floor(rand() * 256), 0, Math.floor(rand() * 2 ** 32)];
      else w = [Math.floor(rand() * 2 ** 32), Math.floor(rand() * 2 ** 32), Math.floor(rand() * 2 ** 32), Math.floor(rand() * 2 ** 32)];
      [p.w0[i], p.w1[i], p.w2[i], p.w3[i]] = w;
    } else if (member) p.w0[i] = member.addr;
    else if (where < 0.8) p.w0[i] = VPC4 | Math.floor(rand() * 65536);
    else p.w0[i] = Math.floor(rand() * 2 ** 32);
  }
  return p;
}

/**
 * ns per lookup over `count` lookups cycling through the packets; `only` = 4, 6 or 0 for the mix.
 * Each implementation and size gets its own copy of the loop (new Function) so that V8's inline
 * caches at the call site see one classifier class only, as the dataplane's do.
 */
const RUN_SOURCE = `
  const { family, protocol, port, code, w0, w1, w2, w3 } = p;
  const last = family.length - 1;
  let hits = 0;
  const t0 = process.hrtime.bigint();
  for (let k = 0; k < count; k++) {
    const i = k & last;
    const f = only === 0 ? family[i] : only;
    hits += f === 4
      ? c.matchV4(protocol[i], port[i], code[i], w0[i])
      : c.matchV6(protocol[i], port[i], code[i], w0[i], w1[i], w2[i], w3[i]);
  }
  return { ns: Number(process.hrtime.bigint() - t0) / count, hits };
`;
export const newRunner = () => new Function('process', 'c', 'p', 'count', 'only', RUN_SOURCE).bind(null, process);
