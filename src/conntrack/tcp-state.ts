// The TCP state machine of a tracked flow, seen from the middle (we never see sequence
// numbers' meaning, only flags), in the loose style of Linux conntrack: a lost packet in the
// capture must not make us drop a connection AWS would keep passing, so every step only moves
// forward and nothing is ever judged invalid. Shared by the table and the reference model so
// both follow one documented machine; the machine itself is tested on its own.
import { TcpFlag } from '../packet/packet-view.js';
import {
  TCP_CLOSED_MS,
  TCP_CLOSING_MS,
  TCP_FIN_WAIT_MS,
  TCP_SYN_RECV_MS,
  TCP_SYN_SENT_MS,
  TCP_TIME_WAIT_MS,
} from './timeouts.js';

export const TcpState = {
  NONE: 0,
  SYN_SENT: 1,
  SYN_RECV: 2,
  ESTABLISHED: 3,
  /** the originator sent FIN */
  FIN_WAIT_ORIGINATOR: 4,
  /** the responder sent FIN */
  FIN_WAIT_RESPONDER: 5,
  /** both sides sent FIN */
  CLOSING: 6,
  /** an ACK after both FINs */
  TIME_WAIT: 7,
  /** RST seen */
  CLOSED: 8,
} as const;
export type TcpState = (typeof TcpState)[keyof typeof TcpState];

export const TCP_STATE_NAMES = [
  'NONE',
  'SYN_SENT',
  'SYN_RECV',
  'ESTABLISHED',
  'FIN_WAIT',
  'FIN_WAIT',
  'CLOSING',
  'TIME_WAIT',
  'CLOSED',
] as const;

/**
 * The state a new entry starts in, for a packet the rules allowed with no entry yet.
 * SYN: SYN_SENT. SYN-ACK (we missed the SYN): SYN_RECV, and the *receiver* is the originator
 * (see `tcpInitialSenderIsOriginator`). Anything else but RST: mid-stream pickup, ESTABLISHED,
 * like Linux's `nf_conntrack_tcp_loose` — the capture or the daemon may start mid-connection.
 * RST: NONE, nothing is tracked (a reset opens nothing).
 */
export function tcpInitialState(flags: number): number {
  if ((flags & TcpFlag.RST) !== 0) return TcpState.NONE;
  if ((flags & TcpFlag.SYN) !== 0) return (flags & TcpFlag.ACK) !== 0 ? TcpState.SYN_RECV : TcpState.SYN_SENT;
  if ((flags & TcpFlag.FIN) !== 0) return TcpState.FIN_WAIT_ORIGINATOR;
  return TcpState.ESTABLISHED;
}

/** A SYN-ACK answers a SYN: its sender is the responder. */
export function tcpInitialSenderIsOriginator(flags: number): boolean {
  return (flags & (TcpFlag.SYN | TcpFlag.ACK)) !== (TcpFlag.SYN | TcpFlag.ACK);
}

/**
 * The next state after a packet with `flags`, sent by the originator or not.
 * Returns `TcpState.SYN_SENT` from TIME_WAIT/CLOSED on a fresh SYN: a new connection reusing the
 * ports; the caller then makes the SYN's sender the originator.
 */
export function tcpNextState(state: number, flags: number, fromOriginator: boolean): number {
  if ((flags & TcpFlag.RST) !== 0) return TcpState.CLOSED;
  const syn = (flags & TcpFlag.SYN) !== 0;
  const ack = (flags & TcpFlag.ACK) !== 0;
  const fin = (flags & TcpFlag.FIN) !== 0;
  switch (state) {
    case TcpState.SYN_SENT:
      if (fromOriginator) return state;
      // The responder's SYN(-ACK), or (loose) its data after a SYN-ACK the capture missed.
      return syn ? TcpState.SYN_RECV : TcpState.ESTABLISHED;
    case TcpState.SYN_RECV:
      if (syn || !ack) return state;
      return fin ? (fromOriginator ? TcpState.FIN_WAIT_ORIGINATOR : TcpState.FIN_WAIT_RESPONDER) : TcpState.ESTABLISHED;
    case TcpState.ESTABLISHED:
      if (!fin) return state;
      return fromOriginator ? TcpState.FIN_WAIT_ORIGINATOR : TcpState.FIN_WAIT_RESPONDER;
    case TcpState.FIN_WAIT_ORIGINATOR:
      return fin && !fromOriginator ? TcpState.CLOSING : state;
    case TcpState.FIN_WAIT_RESPONDER:
      return fin && fromOriginator ? TcpState.CLOSING : state;
    case TcpState.CLOSING:
      return ack && !fin ? TcpState.TIME_WAIT : state;
    case TcpState.TIME_WAIT:
    case TcpState.CLOSED:
      return syn && !ack ? TcpState.SYN_SENT : state;
    default:
      return state;
  }
}

/**
 * Past the handshake (ESTABLISHED, closing, TIME_WAIT; not a reset's CLOSED): with a reply seen,
 * the flow is assured and a flood's half-open entries are not (see eviction.ts).
 */
export function tcpHandshakeDone(state: number): boolean {
  return state >= TcpState.ESTABLISHED && state <= TcpState.TIME_WAIT;
}

/** Idle timeout of a state in ms; ESTABLISHED uses the interface's `tcpEstablished`. */
export function tcpTimeoutMs(state: number, establishedMs: number): number {
  switch (state) {
    case TcpState.SYN_SENT:
      return TCP_SYN_SENT_MS;
    case TcpState.SYN_RECV:
      return TCP_SYN_RECV_MS;
    case TcpState.ESTABLISHED:
      return establishedMs;
    case TcpState.FIN_WAIT_ORIGINATOR:
    case TcpState.FIN_WAIT_RESPONDER:
      return TCP_FIN_WAIT_MS;
    case TcpState.CLOSING:
      return TCP_CLOSING_MS;
    case TcpState.TIME_WAIT:
      return TCP_TIME_WAIT_MS;
    default:
      return TCP_CLOSED_MS;
  }
}
