// Runs Debian's `ansible-playbook` (with Debian's python3, boto3 and the bundled amazon.aws) as a
// user would, and reads back what it printed: each task's per-host status and the PLAY RECAP.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { awsChildEnv, DEBIAN_PYTHON, hasBoto3 } from '../boto3/python-tools.js';

const ANSIBLE_PLAYBOOK = '/usr/bin/ansible-playbook';
export const PLAYBOOKS = join(process.cwd(), 'test', 'e2e', 'ansible');

export const hasAnsible =
  hasBoto3 &&
  existsSync(ANSIBLE_PLAYBOOK) &&
  spawnSync(ANSIBLE_PLAYBOOK, ['--version'], { env: { PATH: '/usr/bin:/bin' } }).status === 0;

export interface Recap {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
  rescued: number;
  ignored: number;
}

export interface PlaybookRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** PLAY RECAP line for localhost, `null` when Ansible never got that far */
  recap: Recap | null;
  /** task name → the statuses Ansible printed for it (`ok`, `changed`, `failed`, `fatal`, …), one per host or loop item */
  tasks: Map<string, string[]>;
}

export function parseRecap(stdout: string): Recap | null {
  const m = /^localhost\s+:\s+(.*)$/m.exec(stdout);
  if (m === null) return null;
  const counts = Object.fromEntries([...(m[1] as string).matchAll(/(\w+)=(\d+)/g)].map((c) => [c[1], Number(c[2])]));
  return counts as unknown as Recap;
}

export function parseTasks(stdout: string): Map<string, string[]> {
  const tasks = new Map<string, string[]>();
  let current: string[] | null = null;
  for (const line of stdout.split('\n')) {
    const task = /^TASK \[(.*)\] \**$/.exec(line);
    if (task !== null) {
      current = [];
      tasks.set(task[1] as string, current);
      continue;
    }
    if (line.startsWith('PLAY ')) current = null;
    const status = /^(ok|changed|failed|fatal|skipping): \[localhost\]/.exec(line);
    if (status !== null && current !== null) current.push(status[1] as string);
  }
  return tasks;
}

export interface SgfwConnection {
  url: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

/** `ansible-playbook -i localhost, PLAYBOOK` with sgfw's endpoint and keys as extra vars. */
export function ansiblePlaybook(playbook: string, sgfw: SgfwConnection, extraVars: Record<string, string> = {}, timeoutMs = 60_000): Promise<PlaybookRun> {
  const home = mkdtempSync(join(tmpdir(), 'sgfw-ansible-home-'));
  const env = awsChildEnv(sgfw.credentials, {
    HOME: home,
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_RETRY_FILES_ENABLED: 'false',
    ANSIBLE_LOCALHOST_WARNING: 'false',
    ANSIBLE_PYTHON_INTERPRETER: DEBIAN_PYTHON,
  });
  const vars = {
    ansible_python_interpreter: DEBIAN_PYTHON,
    sgfw_endpoint: sgfw.url,
    sgfw_access_key: sgfw.credentials.accessKeyId,
    sgfw_secret_key: sgfw.credentials.secretAccessKey,
    ...extraVars,
  };
  const args = ['-i', 'localhost,', '-e', JSON.stringify(vars), join(PLAYBOOKS, playbook)];
  return new Promise((resolve) => {
    execFile(ANSIBLE_PLAYBOOK, args, { env, cwd: PLAYBOOKS, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 16 << 20 }, (e, stdout, stderr) => {
      const code = e === null ? 0 : typeof e.code === 'number' ? e.code : null;
      resolve({ code, stdout, stderr, recap: parseRecap(stdout), tasks: parseTasks(stdout) });
    });
  });
}
