import { describe, expect, it } from 'vitest';
import { decodeFrame } from '../../src/packet/decode.js';
import { FRAGMENT_ALLOWED, FRAGMENT_DROPPED, FRAGMENT_NONE, FragmentTable } from '../../src/conntrack/fragment-table.js';
import { buildFragments, type FrameSpec } from '../../src/packet/frame-builder.js';
import { PacketView } from '../../src/packet/packet-view.js';

function fragmentsOf(spec: FrameSpec): PacketView[] {
  return buildFragments(spec, 16).map((f) => {
    const v = new PacketView();
    decodeFrame(1, f, 0, f.length, v);
    return v;
  });
}

const datagram: FrameSpec = { src: '10.0.0.1', dst: '10.0.0.2', proto: 'udp', sport: 1000, dport: 53, payload: 'a'.repeat(40), id: 7 };

describe('later fragments share the verdict of their first fragment', () => {
  it('allowed first fragment → later fragments allowed', () => {
    const t = new FragmentTable(64);
    const [first, second, third] = fragmentsOf(datagram);
    t.rememberFirst(first, FRAGMENT_ALLOWED, 1000);
    expect(t.lookup(second, 1001)).toBe(FRAGMENT_ALLOWED);
    expect(t.lookup(third, 1002)).toBe(FRAGMENT_ALLOWED);
  });
  it('dropped first fragment → later fragments dropped', () => {
    const t = new FragmentTable(64);
    const [first, second] = fragmentsOf(datagram);
    t.rememberFirst(first, FRAGMENT_DROPPED, 0);
    expect(t.lookup(second, 1)).toBe(FRAGMENT_DROPPED);
  });
  it('a fragment whose first fragment was never seen is unknown', () => {
    const t = new FragmentTable(64);
    const [, second] = fragmentsOf(datagram);
    expect(t.lookup(second, 0)).toBe(FRAGMENT_NONE);
  });
  it('another datagram id, source, destination, protocol or family does not match', () => {
    const t = new FragmentTable(64);
    t.rememberFirst(fragmentsOf(datagram)[0], FRAGMENT_ALLOWED, 0);
    for (const other of [
      { ...datagram, id: 8 },
      { ...datagram, src: '10.0.0.3' },
      { ...datagram, dst: '10.0.0.4' },
      { ...datagram, proto: 'tcp' as const, flags: 'S' },
      { ...datagram, src: '::10.0.0.1', dst: '::10.0.0.2' },
    ]) {
      expect(t.lookup(fragmentsOf(other)[1], 1)).toBe(FRAGMENT_NONE);
    }
    expect(t.lookup(fragmentsOf(datagram)[1], 1)).toBe(FRAGMENT_ALLOWED);
  });
  it('IPv6 fragments are keyed by their 32-bit identification', () => {
    const t = new FragmentTable(64);
    const spec = { ...datagram, src: 'fd00::1', dst: 'fd00::2', id: 0xfffffff0 };
    const [first, second] = fragmentsOf(spec);
    t.rememberFirst(first, FRAGMENT_ALLOWED, 0);
    expect(t.lookup(second, 1)).toBe(FRAGMENT_ALLOWED);
  });
});

describe('the fragment table forgets', () => {
  it('after the timeout (30 s)', () => {
    const t = new FragmentTable(64);
    const [first, second] = fragmentsOf(datagram);
    t.rememberFirst(first, FRAGMENT_ALLOWED, 0);
    expect(t.lookup(second, 30_000)).toBe(FRAGMENT_ALLOWED);
    expect(t.lookup(second, 30_001)).toBe(FRAGMENT_NONE);
  });
  it('the oldest datagrams when more than its capacity arrive, and never grows', () => {
    const t = new FragmentTable(16);
    const views = [];
    for (let id = 0; id < 1000; id++) {
      const [first, second] = fragmentsOf({ ...datagram, id });
      t.rememberFirst(first, FRAGMENT_ALLOWED, id);
      views.push(second);
    }
    expect(t.capacity).toBe(16);
    let remembered = 0;
    for (const v of views) if (t.lookup(v, 1000) === FRAGMENT_ALLOWED) remembered++;
    expect(remembered).toBeLessThanOrEqual(16);
    expect(remembered).toBeGreaterThan(0);
    expect(t.lookup(views[999], 1000)).toBe(FRAGMENT_ALLOWED);
    expect(t.lookup(views[0], 1000)).toBe(FRAGMENT_NONE);
    expect(t.evictions).toBeGreaterThan(0);
  });
});
