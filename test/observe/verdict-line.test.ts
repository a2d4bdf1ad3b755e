// The `--verdicts` line, apart from any loop: the judge is any object with the members it reads,
// and a reason is spelled by the words table its caller builds once.
import { describe, expect, it } from 'vitest';
import { isAllowed, Reason, REASON_NAMES } from '../../src/dataplane/verdict.js';
import { reasonWords, verdictLine, type JudgedFrame } from '../../src/observe/verdict-line.js';

const WORDS = reasonWords(REASON_NAMES, isAllowed, [Reason.RULE, Reason.RULE_UNTRACKED]);

function judge(src: number, dst: number): JudgedFrame {
  const ids = ['eni-a', 'eni-b'];
  return {
    lastSourceInterface: src,
    lastDestinationInterface: dst,
    interfaceAt: (i) => (ids[i] === undefined ? null : { interfaceId: ids[i]! }),
    // both sides name sgr-shared: a line names it once
    explainLast: (i, outbound) => [{ ruleId: `sgr-${ids[i]}-${outbound ? 'out' : 'in'}` }, { ruleId: 'sgr-shared' }],
  };
}

describe('verdict lines', () => {
  it('spell every reason as the dataplane names it, allowed or dropped', () => {
    expect(WORDS.map((w) => w.reason)).toEqual(REASON_NAMES);
    WORDS.forEach((w, reason) => expect(w.verdict).toBe(isAllowed(reason) ? 'allow' : 'drop'));
  });

  it('name the rules of both interfaces a rule decision touched, each once', () => {
    expect(JSON.parse(verdictLine(judge(0, 1), 7, WORDS[Reason.RULE]!))).toEqual({
      frame: 7,
      verdict: 'allow',
      reason: 'rule',
      interfaces: ['eni-a', 'eni-b'],
      rules: ['sgr-eni-a-out', 'sgr-shared', 'sgr-eni-b-in'],
    });
  });

  it('name no rules for traffic passed by its flow, and ? for an interface gone since', () => {
    const line = verdictLine(judge(-1, 5), 1, WORDS[Reason.TRACKED]!);
    expect(line).toBe('{"frame":1,"verdict":"allow","reason":"tracked","interfaces":["?"],"rules":[]}\n');
  });
});
