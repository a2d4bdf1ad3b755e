import { describe, expect, it } from 'vitest';
import { tcpHandshakeDone, tcpInitialSenderIsOriginator, tcpInitialState, tcpNextState, TcpState } from '../../src/conntrack/tcp-state.js';
import { ACK, FIN, PSH, RST, SYN } from './packets.js';

const ORIG = true;
const RESP = false;

describe('the TCP state machine follows the handshake and the close', () => {
  it('SYN, SYN-ACK, ACK reaches ESTABLISHED', () => {
    let s = tcpInitialState(SYN);
    expect(s).toBe(TcpState.SYN_SENT);
    s = tcpNextState(s, SYN, ORIG);
    expect(s).toBe(TcpState.SYN_SENT);
    s = tcpNextState(s, SYN | ACK, RESP);
    expect(s).toBe(TcpState.SYN_RECV);
    s = tcpNextState(s, ACK, ORIG);
    expect(s).toBe(TcpState.ESTABLISHED);
  });

  it('FIN from each side then an ACK reaches TIME_WAIT, whichever side closes first', () => {
    for (const first of [ORIG, RESP]) {
      let s: number = TcpState.ESTABLISHED;
      s = tcpNextState(s, FIN | ACK, first);
      expect(s).toBe(first ? TcpState.FIN_WAIT_ORIGINATOR : TcpState.FIN_WAIT_RESPONDER);
      expect(tcpNextState(s, FIN | ACK, first)).toBe(s); // a retransmitted FIN changes nothing
      s = tcpNextState(s, FIN | ACK, !first);
      expect(s).toBe(TcpState.CLOSING);
      s = tcpNextState(s, ACK, first);
      expect(s).toBe(TcpState.TIME_WAIT);
    }
  });

  it('RST closes from any state', () => {
    for (const s of [TcpState.SYN_SENT, TcpState.SYN_RECV, TcpState.ESTABLISHED, TcpState.CLOSING, TcpState.TIME_WAIT]) {
      expect(tcpNextState(s, RST, RESP)).toBe(TcpState.CLOSED);
      expect(tcpNextState(s, RST | ACK, ORIG)).toBe(TcpState.CLOSED);
    }
  });

  it('a SYN after TIME_WAIT or CLOSED reopens; data after CLOSED does not', () => {
    expect(tcpNextState(TcpState.TIME_WAIT, SYN, RESP)).toBe(TcpState.SYN_SENT);
    expect(tcpNextState(TcpState.CLOSED, SYN, ORIG)).toBe(TcpState.SYN_SENT);
    expect(tcpNextState(TcpState.CLOSED, ACK | PSH, ORIG)).toBe(TcpState.CLOSED);
  });

  it('loose: the responder talking after a SYN-ACK the capture missed establishes the flow', () => {
    expect(tcpNextState(TcpState.SYN_SENT, ACK | PSH, RESP)).toBe(TcpState.ESTABLISHED);
    expect(tcpNextState(TcpState.SYN_SENT, ACK, ORIG)).toBe(TcpState.SYN_SENT);
  });

  it('a first packet that is not a SYN picks the flow up mid-stream', () => {
    expect(tcpInitialState(ACK)).toBe(TcpState.ESTABLISHED);
    expect(tcpInitialState(FIN | ACK)).toBe(TcpState.FIN_WAIT_ORIGINATOR);
    expect(tcpInitialState(SYN | ACK)).toBe(TcpState.SYN_RECV);
    expect(tcpInitialSenderIsOriginator(SYN | ACK)).toBe(false);
    expect(tcpInitialSenderIsOriginator(ACK)).toBe(true);
    expect(tcpInitialState(RST)).toBe(TcpState.NONE);
  });

  it('the handshake is done from ESTABLISHED through TIME_WAIT, not half-open nor after a reset', () => {
    const done = Object.entries(TcpState).filter(([, v]) => tcpHandshakeDone(v)).map(([k]) => k);
    expect(done).toEqual(['ESTABLISHED', 'FIN_WAIT_ORIGINATOR', 'FIN_WAIT_RESPONDER', 'CLOSING', 'TIME_WAIT']);
  });
});
