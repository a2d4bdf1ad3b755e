// `sgfw config check` refuses every value the command itself would refuse at start: a file that
// passes the check must start. These flags were checked only when the command ran.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands.js';
import { runCli } from '../../src/cli/run-cli.js';
import { captureIo } from './capture-io.js';

const dir = mkdtempSync(join(tmpdir(), 'sgfw-config-values-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function check(...lines: string[]): Promise<{ code: number; err: string }> {
  const conf = join(dir, 'sgfw.conf');
  writeFileSync(conf, `${lines.join('\n')}\n`);
  const io = captureIo();
  const code = await runCli(['config', 'check', conf], io, COMMANDS, { env: {}, defaultConfigFile: join(dir, 'absent.conf') });
  return { code, err: io.err().replaceAll(conf, 'sgfw.conf') };
}

describe('sgfw config check: the values only the command checked before', () => {
  it.each([
    ['serve', 'metrics = 1.2.3.4:70000', "--metrics expects HOST:PORT or PORT, got '1.2.3.4:70000'"],
    ['serve', 'replay-speed = fast', "--replay-speed expects a positive number, got 'fast'"],
    ['serve', 'replay-speed = 0', "--replay-speed expects a positive number, got '0'"],
    ['serve', 'api-host = a:99999', "--api-host expects NAME[:PORT], got 'a:99999'"],
    ['status', 'metrics = x', "--metrics expects HOST:PORT or PORT, got 'x'"],
    ['run', 'host-id = -bad', "--host-id expects 1 to 128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit, got '-bad'"],
  ])('[%s] %s', async (section, line, problem) => {
    expect(await check(`[${section}]`, line)).toEqual({ code: 2, err: `sgfw.conf:2: ${problem}\n` });
  });

  it('and good values still pass', async () => {
    expect(await check('[serve]', 'metrics = 9464', 'replay-speed = 2.5', 'api-host = ec2.example.test', '[run]', 'host-id = web-1', 'capture = nfqueue')).toEqual({ code: 0, err: '' });
  });
});
