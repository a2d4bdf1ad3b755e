#!/usr/bin/env node
// Builds the N-API addons of native-bindings/ against the running Node's own headers (those of its
// prefix, as Debian's /usr: never a download), each on its own. One that cannot be built gets one
// line saying what sgfw loses and what to install; the others still build.
//   nfqueue   — host mode (NFQUEUE) and the capability drop; needs libnetfilter-queue-dev.
//   afpacket  — inline and monitor modes' batched capture (AF_PACKET TPACKET_V3 ring); needs only Linux headers.
//   hugepages — the conntrack table on transparent huge pages (every mode, replay included).
//   sdnotify  — the systemd notify protocol (READY=1, watchdog) under the units of packaging/systemd.
//   sched     — `sgfw run --realtime-workers`: the packet workers in the SCHED_FIFO class.
//   afxdp     — a prototype (issue 18 item 6): AF_XDP sockets for bench/xdp-bridge.mjs and its test
//               only, never loaded by the CLI nor packed; its failure is reported and never fails a build.
//
// Two callers:
//   - the packed package's `install` script (`npm install -g ./sgfw-*.tgz`, `npm rebuild -g sgfw`),
//     `--install`: a failed addon never fails the install (sgfw works without it; the mode that
//     needs it says what to install when started). In a checkout `npm ci` runs the same script and
//     it does nothing: scripts/build-native.sh (setup.sh) builds the addons there, as before.
//   - scripts/build-native.sh and a person fixing an installed sgfw (the command the not-built
//     errors name): without --install, a failed build shows the compiler's output and exits 1, as
//     do a missing compiler and missing Node headers; an addon whose own library headers are not
//     installed (libnetfilter-queue-dev) is only skipped, so setup.sh as non-root still succeeds.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const install = process.argv.includes('--install');
const say = (line) => process.stderr.write(`sgfw: ${line}\n`);

const ADDONS = [
  {
    name: 'nfqueue',
    loses: 'host mode will not start',
    header: '/usr/include/libnetfilter_queue/libnetfilter_queue.h',
    packages: ['libnetfilter-queue-dev'],
  },
  {
    name: 'afpacket',
    loses: 'inline and monitor modes fall back to --capture pcap (libpcap, through the optional package cap)',
    header: '/usr/include/linux/if_packet.h',
    packages: ['linux-libc-dev'],
  },
  {
    name: 'hugepages',
    loses: 'the conntrack table sits on 4 KiB pages (judging about 15% slower; everything works)',
    header: null,
    packages: [],
  },
  {
    name: 'sdnotify',
    loses: 'sgfw cannot tell systemd it is ready (a Type=notify unit times out its start)',
    header: null,
    packages: [],
  },
  {
    name: 'sched',
    loses: 'sgfw run --realtime-workers refuses to start (the packet workers stay in the normal class)',
    header: null,
    packages: [],
  },
  {
    name: 'afxdp',
    loses: 'bench/xdp-bridge.mjs and test/live/xdp-bridge.test.ts (the AF_XDP prototype) say it is missing; sgfw itself never uses it',
    header: '/usr/include/linux/if_xdp.h',
    packages: ['linux-libc-dev'],
    prototype: true,
  },
];
const TOOLCHAIN = ['g++', 'make', 'python3'];

if (install && existsSync(join(ROOT, 'src'))) {
  // A checkout's `npm ci`: its addons are built by scripts/build-native.sh, run by setup.sh.
  process.exit(0);
}

function onPath(command) {
  return (process.env.PATH ?? '').split(delimiter).some((d) => d !== '' && existsSync(join(d, command)));
}

/** node-gyp: the checkout's (a devDependency), else the one npm runs install scripts with, else npm's own. */
function nodeGyp() {
  try {
    return createRequire(join(ROOT, 'package.json')).resolve('node-gyp/bin/node-gyp.js');
  } catch {
    // not installed beside sgfw: an installed package has no devDependencies
  }
  const candidates = [
    process.env.npm_config_node_gyp,
    process.env.npm_execpath && join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  return candidates.find((c) => c && c.endsWith('.js') && existsSync(c)) ?? null;
}

const nodedir = resolve(process.execPath, '..', '..');
const gyp = nodeGyp();
const missingTools = TOOLCHAIN.filter((t) => !onPath(t));
const rerun = `node ${join(ROOT, 'scripts', 'build-addons.mjs')}`;
let failed = false;

for (const addon of ADDONS) {
  // The prototype is not in the package (package.json "files"): nothing to build when installed.
  if (addon.prototype && install) continue;
  const dir = join(ROOT, 'native-bindings', addon.name);
  const lacking = [...missingTools];
  const noHeader = addon.header !== null && !existsSync(addon.header);
  if (noHeader) lacking.push(...addon.packages);
  let why = null;
  if (lacking.length > 0) why = `install ${lacking.join(', ')}`;
  else if (!existsSync(join(nodedir, 'include', 'node', 'node_api.h'))) why = `no Node headers under ${nodedir}/include/node: install your Node's development headers`;
  else if (gyp === null) why = 'node-gyp is not found (it comes with npm): install npm';
  if (why === null) {
    const log = join(dir, 'build.log');
    const r = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`, '--loglevel=error'], {
      cwd: dir,
      encoding: 'utf8',
      // node-addon-api is resolved from the addon's folder (binding.gyp), where sgfw's dependencies are.
      env: { ...process.env, npm_config_nodedir: nodedir },
    });
    if (r.status === 0) {
      say(`built the ${addon.name} addon`);
      continue;
    }
    const output = `${r.error ? `${r.error.message}\n` : ''}${r.stdout ?? ''}${r.stderr ?? ''}`;
    writeFileSync(log, output);
    if (!install) process.stderr.write(output);
    why = `the compiler failed (its output: ${log})`;
  }
  if (!(noHeader && missingTools.length === 0) && !addon.prototype) failed = true;
  say(`did not build the ${addon.name} addon, so ${addon.loses}: ${why}, then run '${rerun}'`);
}

process.exit(failed && !install ? 1 : 0);
