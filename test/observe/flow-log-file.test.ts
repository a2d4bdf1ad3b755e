import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FlowLogFile, type FlowLogFileOptions } from '../../src/observe/flow-log-file.js';
import { FLOW_LOG_HEADER, type FlowObservation } from '../../src/observe/flow-log.js';

const root = mkdtempSync(join(tmpdir(), 'sgfw-flowlog-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = (): string => {
  const d = join(root, `t${n++}`);
  mkdirSync(d);
  return d;
};

/** A flow log on a fake clock that starts at `start` (Unix seconds); errors are collected. */
function setup(options: FlowLogFileOptions = {}, start = 6000) {
  const dir = freshDir();
  const path = join(dir, 'flows.log');
  const clock = { t: start };
  const reports: string[] = [];
  const log = new FlowLogFile(path, { now: () => clock.t, report: (m) => reports.push(m), ...options });
  return { dir, path, clock, reports, log };
}

function obs(dstport: number, time: number, overrides: Partial<FlowObservation> = {}): FlowObservation {
  return { interfaceId: 'eni-a', srcaddr: '192.0.2.1', dstaddr: '10.0.0.10', srcport: 40000, dstport, protocol: 6, bytes: 60, time, accepted: true, ...overrides };
}

const lines = (file: string): string[] => readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
const records = (file: string): string[][] => lines(file).filter((l) => l !== FLOW_LOG_HEADER).map((l) => l.split(' '));

describe('records are aggregated per capture window aligned on the clock', () => {
  it('writes a window when its end passes, one record per flow with packets, bytes, first and last second', () => {
    const { path, clock, log } = setup({ windowSec: 60 }, 6000);
    log.add(obs(22, 6000.5));
    log.add(obs(22, 6059.9, { bytes: 40 }));
    log.add(obs(80, 6030, { accepted: false }));
    clock.t = 6059.9;
    log.flush();
    expect(lines(path)).toEqual([]); // the window [6000, 6060) is still open
    clock.t = 6060;
    log.flush();
    expect(lines(path)).toEqual([
      FLOW_LOG_HEADER,
      '2 123456789012 eni-a 192.0.2.1 10.0.0.10 40000 22 6 2 100 6000 6059 ACCEPT OK',
      '2 123456789012 eni-a 192.0.2.1 10.0.0.10 40000 80 6 1 60 6030 6030 REJECT OK',
    ]);
  });

  it('starts a new record for the same flow in the next window, and closes the old window on the first later observation', () => {
    const { path, log } = setup({ windowSec: 60 }, 6000);
    log.add(obs(22, 6010));
    log.add(obs(22, 6060)); // belongs to [6060, 6120): [6000, 6060) is written now
    expect(records(path).map((r) => [r[8], r[10], r[11]])).toEqual([['1', '6010', '6010']]);
    log.close(6070);
    expect(records(path).map((r) => [r[8], r[10], r[11]])).toEqual([['1', '6010', '6010'], ['1', '6060', '6060']]);
  });

  it('honours a 600-second interval', () => {
    const { path, log } = setup({ windowSec: 600 }, 6000);
    log.add(obs(22, 6000));
    log.add(obs(22, 6599));
    log.flush(6599);
    expect(existsSync(path) ? records(path) : []).toEqual([]);
    log.flush(6600);
    expect(records(path).map((r) => r[8])).toEqual(['2']);
  });

  it('close writes the open window, once; what comes after close is not written', () => {
    const { path, log, reports } = setup({}, 6000);
    log.add(obs(22, 6001));
    log.close(6002);
    log.close(6003);
    log.add(obs(23, 6100));
    log.flush(6200);
    expect(records(path)).toHaveLength(1);
    expect(reports).toEqual([]);
  });

  it('a header line with the field names starts the file, once, and is not repeated when appending to an existing log', () => {
    const first = setup({}, 6000);
    first.log.add(obs(22, 6000));
    first.log.add(obs(22, 6060));
    first.log.close(6061);
    const again = new FlowLogFile(first.path, { now: () => 6200 });
    again.add(obs(25, 6200));
    again.close(6201);
    expect(lines(first.path).filter((l) => l === FLOW_LOG_HEADER)).toHaveLength(1);
    expect(lines(first.path)[0]).toBe(FLOW_LOG_HEADER);
    expect(records(first.path).map((r) => r[6])).toEqual(['22', '22', '25']);
  });

  it('header: false leaves it out', () => {
    const { path, log } = setup({ header: false }, 6000);
    log.add(obs(22, 6000));
    log.close(6001);
    expect(lines(path)).toEqual(['2 123456789012 eni-a 192.0.2.1 10.0.0.10 40000 22 6 1 60 6000 6000 ACCEPT OK']);
  });
});

describe('the account-id: the owner of each interface', () => {
  it('names each interface\'s owner in its records, NODATA and SKIPDATA included, and the fallback for an unknown one', () => {
    const owners: Record<string, string> = { 'eni-a': '111111111111', 'eni-b': '222222222222' };
    const { path, log } = setup({ accountId: '999999999999', accountOf: (id) => owners[id], interfaces: () => ['eni-a', 'eni-b', 'eni-c'], maxRecords: 1 }, 6000);
    log.add(obs(22, 6001));
    log.add(obs(23, 6002, { interfaceId: 'eni-b' })); // past maxRecords: SKIPDATA
    log.flush(6060);
    expect(records(path).map((r) => [r[1], r[2], r[13]])).toEqual([
      ['111111111111', 'eni-a', 'OK'],
      ['222222222222', 'eni-b', 'SKIPDATA'],
      ['999999999999', 'eni-c', 'NODATA'],
    ]);
  });
});

describe('NODATA and SKIPDATA records', () => {
  it('writes NODATA for each logged interface without traffic in a window, over the window', () => {
    const { path, log } = setup({ interfaces: () => ['eni-a', 'eni-b'] }, 6000);
    log.add(obs(22, 6005));
    log.flush(6060);
    log.flush(6125); // a quiet window: NODATA for both, up to the start of the window now open
    expect(lines(path).slice(1)).toEqual([
      '2 123456789012 eni-a 192.0.2.1 10.0.0.10 40000 22 6 1 60 6005 6005 ACCEPT OK',
      '2 123456789012 eni-b - - - - - - - 6000 6060 - NODATA',
      '2 123456789012 eni-a - - - - - - - 6060 6120 - NODATA',
      '2 123456789012 eni-b - - - - - - - 6060 6120 - NODATA',
    ]);
  });

  it('after a gap (no flush for minutes) the window written still ends at its own end', () => {
    const { path, log } = setup({ interfaces: () => ['eni-b'] }, 6000);
    log.flush(6500); // [6000, 6060) is written now; the windows between were never open
    expect(records(path)).toEqual([['2', '123456789012', 'eni-b', '-', '-', '-', '-', '-', '-', '-', '6000', '6060', '-', 'NODATA']]);
  });

  it('the first NODATA starts when logging started, not at the window start', () => {
    const { path, log } = setup({ interfaces: () => ['eni-b'] }, 6030.7);
    log.flush(6060);
    expect(records(path)).toEqual([['2', '123456789012', 'eni-b', '-', '-', '-', '-', '-', '-', '-', '6030', '6060', '-', 'NODATA']]);
  });

  it('writes no NODATA without a list of interfaces, and none for a window cut at its start', () => {
    const quiet = setup({}, 6000);
    quiet.log.flush(6200);
    quiet.log.close(6201);
    expect(lines(quiet.path)).toEqual([]);
    const cut = setup({ interfaces: () => ['eni-a'] }, 6000);
    cut.log.flush(6060);
    cut.log.close(6060);
    expect(records(cut.path)).toHaveLength(1); // [6000, 6060) only
  });

  it('past maxRecords distinct flows a window, the rest of an interface are one SKIPDATA record', () => {
    const { path, log } = setup({ maxRecords: 2 }, 6000);
    log.add(obs(1, 6001));
    log.add(obs(2, 6002));
    log.add(obs(1, 6003)); // an existing record still counts
    log.add(obs(3, 6004));
    log.add(obs(4, 6009, { interfaceId: 'eni-b' }));
    log.add(obs(5, 6007));
    log.close(6010);
    expect(lines(path).slice(1)).toEqual([
      '2 123456789012 eni-a 192.0.2.1 10.0.0.10 40000 1 6 2 120 6001 6003 ACCEPT OK',
      '2 123456789012 eni-a 192.0.2.1 10.0.0.10 40000 2 6 1 60 6002 6002 ACCEPT OK',
      '2 123456789012 eni-a - - - - - - - 6004 6007 - SKIPDATA',
      '2 123456789012 eni-b - - - - - - - 6009 6009 - SKIPDATA',
    ]);
  });
});

describe('the file is rotated logrotate-style: FILE → FILE.1 → … → FILE.N', () => {
  /** `windows` windows of `perWindow` distinct flows each, one window a minute from t=6000. */
  function fill(log: FlowLogFile, clock: { t: number }, windows: number, perWindow: number): number {
    let port = 0;
    for (let w = 0; w < windows; w++) {
      for (let i = 0; i < perWindow; i++) log.add(obs(++port, 6000 + w * 60 + i * 0.01));
      clock.t = 6000 + (w + 1) * 60;
      log.flush();
    }
    return port;
  }
  const files = (path: string, upTo: number): string[] => [path, ...Array.from({ length: upTo }, (_, i) => `${path}.${i + 1}`)].filter((f) => existsSync(f));

  it('rotates by size: no file passes the limit, each starts with the header, and every record is there exactly once', () => {
    const { path, clock, log, reports } = setup({ maxBytes: 1000, maxAgeSec: 0, keep: 50 }, 6000);
    const total = fill(log, clock, 20, 3);
    log.close(clock.t);
    const all = files(path, 50);
    expect(all.length).toBeGreaterThan(4);
    expect(existsSync(`${path}.${all.length}`)).toBe(false); // numbered without gaps
    for (const f of all) {
      expect(statSync(f).size).toBeLessThanOrEqual(1000);
      expect(lines(f)[0]).toBe(FLOW_LOG_HEADER);
    }
    const ports = all.flatMap((f) => records(f).map((r) => Number(r[6])));
    expect(ports).toHaveLength(total);
    expect(new Set(ports).size).toBe(total);
    // FILE.1 is newer than FILE.2: oldest records are in the highest number
    const firstPort = (f: string): number => Number(records(f)[0][6]);
    expect(firstPort(`${path}.2`)).toBeLessThan(firstPort(`${path}.1`));
    expect(firstPort(`${path}.1`)).toBeLessThan(firstPort(path));
    expect(reports).toEqual([]);
    expect(log.stats).toEqual({ written: total, lost: 0 });
  });

  it('rotates by age, at a window boundary', () => {
    const { path, clock, log } = setup({ maxBytes: 0, maxAgeSec: 120, keep: 5 }, 6000);
    fill(log, clock, 3, 1); // opened at 6000: written at 6060 (age 60), 6120 (120: rotate first), 6180
    expect(records(`${path}.1`).map((r) => r[6])).toEqual(['1']);
    expect(records(path).map((r) => r[6])).toEqual(['2', '3']);
    expect(existsSync(`${path}.2`)).toBe(false);
  });

  it('keeps at most N rotated files, dropping the oldest', () => {
    const { path, clock, log } = setup({ maxBytes: 0, maxAgeSec: 60, keep: 2 }, 6000);
    fill(log, clock, 5, 1); // every write after the first rotates: windows 1..5 → FILE.2=3, FILE.1=4, FILE=5
    expect(records(path).map((r) => r[6])).toEqual(['5']);
    expect(records(`${path}.1`).map((r) => r[6])).toEqual(['4']);
    expect(records(`${path}.2`).map((r) => r[6])).toEqual(['3']);
    expect(existsSync(`${path}.3`)).toBe(false);
  });

  it('with keep 0 starts FILE afresh and keeps no rotated file', () => {
    const { path, clock, log } = setup({ maxBytes: 0, maxAgeSec: 60, keep: 0 }, 6000);
    fill(log, clock, 3, 1);
    expect(records(path).map((r) => r[6])).toEqual(['3']);
    expect(existsSync(`${path}.1`)).toBe(false);
  });

  it('does not rotate an empty file', () => {
    const { path, clock, log } = setup({ maxBytes: 0, maxAgeSec: 60, keep: 2 }, 6000);
    clock.t = 9000; // long past the age, nothing written yet
    log.add(obs(1, 9000));
    log.close(9001);
    expect(existsSync(`${path}.1`)).toBe(false);
    expect(records(path)).toHaveLength(1);
  });
});

describe('external logrotate: move-and-reopen and copytruncate', () => {
  it('after the file is moved away, reopen() writes to a new file at the path; the moved one keeps its records', () => {
    const { path, clock, log } = setup({}, 6000);
    log.add(obs(1, 6000));
    log.flush((clock.t = 6060));
    renameSync(path, `${path}.moved`);
    log.reopen();
    log.add(obs(2, 6061));
    log.close((clock.t = 6070));
    expect(records(`${path}.moved`).map((r) => r[6])).toEqual(['1']);
    expect(lines(path)[0]).toBe(FLOW_LOG_HEADER);
    expect(records(path).map((r) => r[6])).toEqual(['2']);
  });

  it('notices a move without reopen() (no SIGHUP sent) and starts a new file at the path', () => {
    const { path, clock, log } = setup({}, 6000);
    log.add(obs(1, 6000));
    log.flush((clock.t = 6060));
    renameSync(path, `${path}.moved`);
    writeFileSync(path, ''); // logrotate's `create`
    log.add(obs(2, 6061));
    log.close((clock.t = 6070));
    expect(records(`${path}.moved`).map((r) => r[6])).toEqual(['1']);
    expect(records(path).map((r) => r[6])).toEqual(['2']);
  });

  it('after copytruncate, writes from the start of the file (no hole) with a new header', () => {
    const { path, clock, log } = setup({}, 6000);
    log.add(obs(1, 6000));
    log.flush((clock.t = 6060));
    const copied = readFileSync(path, 'utf8');
    truncateSync(path, 0);
    log.add(obs(2, 6061));
    log.close((clock.t = 6070));
    expect(copied.split('\n')[0]).toBe(FLOW_LOG_HEADER);
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain('\0');
    expect(lines(path)[0]).toBe(FLOW_LOG_HEADER);
    expect(records(path).map((r) => r[6])).toEqual(['2']);
  });
});

describe('a flow log that cannot be written is reported once and never throws', () => {
  it('an unwritable place: one report naming the file, records counted as lost, nothing thrown', () => {
    const dir = freshDir();
    const notADir = join(dir, 'file');
    writeFileSync(notADir, 'x');
    const path = join(notADir, 'flows.log');
    const reports: string[] = [];
    let log!: FlowLogFile;
    expect(() => (log = new FlowLogFile(path, { now: () => 6000, report: (m) => reports.push(m) }))).not.toThrow();
    expect(() => {
      for (let w = 0; w < 3; w++) {
        log.add(obs(1, 6000 + w * 60));
        log.add(obs(2, 6000 + w * 60));
      }
      log.reopen();
      log.close(6200);
    }).not.toThrow();
    expect(reports).toHaveLength(1);
    expect(reports[0]).toContain(path);
    expect(reports[0]).toMatch(/cannot open \(ENOTDIR/);
    expect(log.stats).toEqual({ written: 0, lost: 6 });
  });

  it('a missing directory: one report, and writing resumes (reported) once it exists', () => {
    const dir = freshDir();
    const path = join(dir, 'later', 'flows.log');
    const reports: string[] = [];
    const clock = { t: 6000 };
    const log = new FlowLogFile(path, { now: () => clock.t, report: (m) => reports.push(m) });
    log.add(obs(1, 6000));
    log.flush((clock.t = 6060));
    log.add(obs(2, 6060));
    log.flush((clock.t = 6120));
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatch(/ENOENT/);
    mkdirSync(join(dir, 'later'));
    log.add(obs(3, 6120));
    log.close((clock.t = 6130));
    expect(reports).toHaveLength(2);
    expect(reports[1]).toBe(`flow log ${path}: writing again; 2 records were lost`);
    expect(records(path).map((r) => r[6])).toEqual(['3']);
    expect(log.stats).toEqual({ written: 1, lost: 2 });
  });

  it.runIf(existsSync('/dev/full'))('ENOSPC on write is reported once as no space left', () => {
    const reports: string[] = [];
    const log = new FlowLogFile('/dev/full', { now: () => 6000, report: (m) => reports.push(m), maxBytes: 0, maxAgeSec: 0 });
    for (let w = 0; w < 3; w++) log.add(obs(1, 6000 + w * 60));
    log.close(6200);
    expect(reports).toEqual(['flow log /dev/full: cannot write (ENOSPC: no space left on the device); records are dropped until it can be written']);
    expect(log.stats.lost).toBe(3);
  });
});

describe('options are checked', () => {
  it('refuses a window that is not a whole number of seconds and a negative keep', () => {
    expect(() => new FlowLogFile(join(freshDir(), 'f'), { windowSec: 0 })).toThrow(RangeError);
    expect(() => new FlowLogFile(join(freshDir(), 'f'), { keep: -1 })).toThrow(/keep/);
  });
});
