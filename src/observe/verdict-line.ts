// One `--verdicts` line: the JSON object replay and every live mode write for a judged frame
// (frame, verdict, reason, interfaces, rules). Observe imports no dataplane, so the judge is seen
// through the few members a line reads (the Dataplane has them) and a reason comes as the words the
// line spells it with, a table the caller builds once from the dataplane's reasons.

/** What a verdict line reads of the judge of the last frame (the Dataplane, seen structurally). */
export interface JudgedFrame {
  /** managed interface indexes the frame left and reached; -1: none */
  readonly lastSourceInterface: number;
  readonly lastDestinationInterface: number;
  interfaceAt(index: number): { readonly interfaceId: string } | null;
  /** the rules of one interface's direction that allow the frame */
  explainLast(index: number, outbound: boolean): readonly { readonly ruleId: string }[];
}

/** A verdict's reason as a line spells it. */
export interface ReasonWords {
  readonly verdict: 'allow' | 'drop';
  readonly reason: string;
  /** a rule decided: the line names the rules (tracked and related traffic passes by its flow) */
  readonly namesRules: boolean;
}

/** The words of every reason, indexed by reason number; built once, at load. */
export function reasonWords(names: readonly string[], allowed: (reason: number) => boolean, ruleReasons: readonly number[]): readonly ReasonWords[] {
  return names.map((reason, n) => ({ verdict: allowed(n) ? 'allow' : 'drop', reason, namesRules: ruleReasons.includes(n) }));
}

function touched(judge: JudgedFrame): { index: number; outbound: boolean }[] {
  const out: { index: number; outbound: boolean }[] = [];
  if (judge.lastSourceInterface >= 0) out.push({ index: judge.lastSourceInterface, outbound: true });
  if (judge.lastDestinationInterface >= 0) out.push({ index: judge.lastDestinationInterface, outbound: false });
  return out;
}

/** One `--verdicts` line (allocates: only when verdicts are asked for). */
export function verdictLine(judge: JudgedFrame, frame: number, words: ReasonWords): string {
  const sides = touched(judge);
  const interfaces = sides.map((s) => judge.interfaceAt(s.index)?.interfaceId ?? '?');
  const rules = words.namesRules ? [...new Set(sides.flatMap((s) => judge.explainLast(s.index, s.outbound).map((r) => r.ruleId)))] : [];
  return `${JSON.stringify({ frame, verdict: words.verdict, reason: words.reason, interfaces, rules })}\n`;
}
