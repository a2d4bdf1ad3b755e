// Test helpers: addresses in the word form the classifier takes.
import ipaddr from 'ipaddr.js';

export function v4(text: string): number {
  const b = ipaddr.IPv4.parse(text).octets;
  return ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
}

export function v6(text: string): [number, number, number, number] {
  const p = ipaddr.IPv6.parse(text).parts;
  return [0, 1, 2, 3].map((i) => ((p[i * 2] << 16) | p[i * 2 + 1]) >>> 0) as [number, number, number, number];
}

export function v4Text(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

export function v6Text(w: readonly number[]): string {
  const bytes: number[] = [];
  for (const x of w) bytes.push((x >>> 24) & 255, (x >>> 16) & 255, (x >>> 8) & 255, x & 255);
  return ipaddr.fromByteArray(bytes).toString();
}
