// Types of the parts of workload.mjs that tests import (test/replay/replay-workers.test.ts).
export interface BenchModel {
  G: number;
  members: number[][];
  ifaces: { index: number; id: string; v4: string; v6: string; groups: number[] }[];
  rules: unknown[];
}
export interface BenchFrames {
  data: Buffer;
  offsets: Uint32Array;
  lengths: Uint16Array;
  count: number;
  timesMs: Float64Array;
}
export function makeModel(options: { rules: number; interfaces?: number; seed?: number; refsTo?: number }): BenchModel;
export function makeFrames(m: BenchModel, options: { frames: number; concurrent?: number; seed?: number }): BenchFrames;
export function stateDocument(m: BenchModel): { SecurityGroups: unknown[]; NetworkInterfaces: unknown[] };
export function groupId(g: number): string;
export function interfaceId(i: number): string;
