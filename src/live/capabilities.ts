// "After opening its sockets sgfw drops every capability but CAP_NET_ADMIN and CAP_NET_RAW" (issue 5,
// Operations). The NFQUEUE socket, the metrics listener and the verdict file are open by then; what
// host mode still does afterwards is answer packets, re-read state files it owns (root, so no
// CAP_DAC_OVERRIDE needed) and run iptables/ip6tables to remove its rules, which need exactly these two.
// The bounding set is reduced too: a root process exec'ing iptables gets permitted = bounding set
// (no file capabilities, no SECBIT_NOROOT), so the children keep NET_ADMIN and NET_RAW and nothing more.
import { dropThreadCapabilities, type NativeCapabilityDrop } from '../capture/nfqueue.js';

/** linux/capability.h */
export const Capability = { NET_ADMIN: 12, NET_RAW: 13, SYS_NICE: 23 } as const;
export const HOST_MODE_CAPABILITIES: readonly number[] = [Capability.NET_ADMIN, Capability.NET_RAW];
/**
 * With --realtime-workers, CAP_SYS_NICE stays too: the real-time guard (capture/realtime-thread.ts)
 * sends a worker that stays busy back to the normal class and must be able to give the class back
 * (RLIMIT_RTPRIO cannot stand in: raising it needs CAP_SYS_RESOURCE, which a unit may well lack).
 */
export const REALTIME_CAPABILITIES: readonly number[] = [...HOST_MODE_CAPABILITIES, Capability.SYS_NICE];

export class CapabilityError extends Error {
  override readonly name = 'CapabilityError';
}

export interface CapabilityDrop {
  /** false: not root, nothing was changed */
  dropped: boolean;
  /** capability numbers left in the effective, permitted, inheritable and bounding sets */
  kept: number[];
  /** highest capability the kernel knows (/proc/sys/kernel/cap_last_cap) */
  lastCap: number;
  /** the process's threads, and those that dropped too (the caller always does) */
  threads: number;
  threadsDropped: number;
  /** thread ids left with their capabilities: they block every signal (Node's SIGUSR1 watchdog) */
  threadsSkipped: number[];
}


function maskOf(caps: readonly number[]): bigint {
  let mask = 0n;
  for (const c of caps) {
    if (!Number.isInteger(c) || c < 0 || c > 63) throw new CapabilityError(`not a capability number: ${c}`);
    mask |= 1n << BigInt(c);
  }
  return mask;
}

function capsOf(mask: bigint): number[] {
  const out: number[] = [];
  for (let c = 0; c < 64; c++) if ((mask >> BigInt(c)) & 1n) out.push(c);
  return out;
}

/** Drops every capability but `keep` from every set of every thread that can be reached; a no-op when not root. */
export function dropCapabilities(keep: readonly number[] = HOST_MODE_CAPABILITIES): CapabilityDrop {
  const mask = maskOf(keep);
  if (process.getuid?.() !== 0) return { dropped: false, kept: [], lastCap: -1, threads: 0, threadsDropped: 0, threadsSkipped: [] };
  let r: NativeCapabilityDrop;
  try {
    r = dropThreadCapabilities(mask);
  } catch (e) {
    throw new CapabilityError((e as Error).message);
  }
  const threadsDropped = 1 + r.acknowledged - r.failed;
  if (r.failed > 0 || r.acknowledged < r.asked) {
    throw new CapabilityError(`${r.asked - threadsDropped + 1} of ${r.threads} threads kept their capabilities`);
  }
  return { dropped: true, kept: capsOf(r.kept), lastCap: r.lastCap, threads: r.threads, threadsDropped, threadsSkipped: r.skipped };
}
