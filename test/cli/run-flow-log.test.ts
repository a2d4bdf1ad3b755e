// The flow log of the enforcing modes (host, inline): each interface's records name its owner.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RunFlowLog } from '../../src/cli/run-flow-log.js';
import { serviceFromStateFiles } from '../../src/cli/state-flag.js';
import { Dataplane } from '../../src/dataplane/dataplane.js';
import { FLOW_LOG_HEADER } from '../../src/observe/flow-log.js';
import { createLogger } from '../../src/observe/logger.js';

const VPC = 'vpc-0a1b2c3d4e5f60718';
/** Two interfaces whose groups two accounts own. */
const STATE = {
  SecurityGroups: [
    { GroupId: 'sg-0a0a0a0a0a0a0000a', GroupName: 'a', Description: 'a', VpcId: VPC, OwnerId: '111111111111' },
    { GroupId: 'sg-0b0b0b0b0b0b0000b', GroupName: 'b', Description: 'b', VpcId: VPC, OwnerId: '222222222222' },
  ],
  NetworkInterfaces: [
    { NetworkInterfaceId: 'eni-0a0a0a0a0a0a0000a', VpcId: VPC, PrivateIpAddress: '10.0.0.10', Groups: [{ GroupId: 'sg-0a0a0a0a0a0a0000a' }] },
    { NetworkInterfaceId: 'eni-0b0b0b0b0b0b0000b', VpcId: VPC, PrivateIpAddress: '10.0.0.11', Groups: [{ GroupId: 'sg-0b0b0b0b0b0b0000b' }] },
  ],
};

afterEach(() => {
  vi.useRealTimers();
});

describe('RunFlowLog', () => {
  it('writes the header and a window a minute, each interface under the account that owns it (its groups\' OwnerId)', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] });
    vi.setSystemTime(1_700_000_000_000); // the window [1699999980, 1700000040)
    const dir = mkdtempSync(join(tmpdir(), 'sgfw-run-flowlog-'));
    writeFileSync(join(dir, 'state.json'), JSON.stringify(STATE));
    const service = await serviceFromStateFiles([join(dir, 'state.json')]);
    const file = join(dir, 'flows.log');
    const flowLog = RunFlowLog.open({ flowLogFile: file }, new Dataplane(service), service, createLogger('silent'))!;
    vi.advanceTimersByTime(41_000); // the flush once a second passes the window's end
    flowLog.close();
    expect(readFileSync(file, 'utf8').split('\n').filter(Boolean)).toEqual([
      FLOW_LOG_HEADER,
      '2 111111111111 eni-0a0a0a0a0a0a0000a - - - - - - - 1700000000 1700000040 - NODATA',
      '2 222222222222 eni-0b0b0b0b0b0b0000b - - - - - - - 1700000000 1700000040 - NODATA',
      // stopped a second into the next window: the partial window is written
      '2 111111111111 eni-0a0a0a0a0a0a0000a - - - - - - - 1700000040 1700000041 - NODATA',
      '2 222222222222 eni-0b0b0b0b0b0b0000b - - - - - - - 1700000040 1700000041 - NODATA',
    ]);
  });
});
