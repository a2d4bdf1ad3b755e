// EC2's client-token idempotency for the actions whose model input carries an idempotency token
// (botocore's `idempotencyToken: true`: CreateManagedPrefixList and CreateNetworkInterface among
// those sgfw serves). From "Ensuring idempotency in Amazon EC2 API requests": a client token is "a
// unique, case-sensitive string of up to 64 ASCII characters" (CreateManagedPrefixList's reference
// allows more: "Up to 255 UTF-8 characters in length"); "if you repeat the request with the
// same client token, the same response is returned"; "if you repeat the request with the same client
// token, but change another request parameter, Amazon EC2 returns an IdempotentParameterMismatch
// error". botocore and the aws CLI fill a fresh token on every call and keep it across their own
// retries, so a create whose answer was lost is made once.
//
// What is kept: per token, the action, the request's other parameters as canonical JSON and the first
// answer as JSON, in the state (records.ts), so the durable store's journal replays them, its
// snapshots carry them (state/snapshot-file.ts `clientTokens`) and the etcd store keeps them under
// token/ (fleet/state-codec.ts). All actions share one token namespace (the
// service is one account in one Region), so a token reused by the other action is a mismatch too. EC2 keeps a token
// "for at least 24 hours"; sgfw keeps the newest MAX_CLIENT_TOKENS whatever their age (a count, not a
// clock, so replaying the journal keeps the same ones), which a client retrying within a day will
// not outrun. DryRun is left out of the comparison (a dry run followed by the real call is not a
// different request); a dry run never records a token.
import { Ec2Errors } from '../model/errors.js';
import type { ActionContext } from './action-context.js';
import type { ClientTokenRecord, ModelState } from './records.js';
import { shown } from '../model/shown.js';

/** The actions served whose EC2 input has ClientToken (checked against the model by test/control/client-tokens.test.ts). */
export const IDEMPOTENT_ACTIONS: ReadonlySet<string> = new Set(['CreateManagedPrefixList', 'CreateNetworkInterface']);

export const MAX_CLIENT_TOKENS = 10_000;

/** What each action's reference allows of a token: CreateManagedPrefixList any 255 characters, the others 64 printable ASCII. */
const TOKEN_FORMS: Readonly<Record<string, { max: number; asciiOnly: boolean }>> = {
  CreateManagedPrefixList: { max: 255, asciiOnly: false },
};
const DEFAULT_TOKEN_FORM = { max: 64, asciiOnly: true };

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The request as compared between a token's calls: every parameter but ClientToken and DryRun. */
function requestText(params: unknown): string {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) return canonical(params);
  const { ClientToken: _token, DryRun: _dry, ...rest } = params as Record<string, unknown>;
  return canonical(rest);
}

function checkToken(action: string, token: unknown): string | undefined {
  if (token === undefined) return undefined;
  const form = Object.hasOwn(TOKEN_FORMS, action) ? TOKEN_FORMS[action]! : DEFAULT_TOKEN_FORM;
  const length = typeof token === 'string' ? [...token].length : 0;
  if (typeof token !== 'string' || length === 0 || length > form.max || (form.asciiOnly && !/^[\x20-\x7e]+$/.test(token))) {
    throw Ec2Errors.invalidParameterValue(
      `Invalid value '${shown(token)}' for ClientToken. A client token of ${action} is a case-sensitive string of 1 to ${form.max} ` +
        `${form.asciiOnly ? 'printable ASCII ' : ''}characters.`,
    );
  }
  return token;
}

/** Keeps `record` in `draft`, dropping the oldest tokens past MAX_CLIENT_TOKENS (a Map keeps insertion order). */
export function keepClientToken(draft: ModelState, record: ClientTokenRecord): void {
  const tokens = draft.writableClientTokens();
  tokens.set(record.token, record);
  for (const oldest of tokens.keys()) {
    if (tokens.size <= MAX_CLIENT_TOKENS) break;
    tokens.delete(oldest);
  }
}

/**
 * Runs `handler` for `action` honouring its ClientToken: the first call with a token runs and keeps
 * its answer with the token, in the same draft (so only a call that succeeded keeps one); a repeat
 * with the same request answers the kept answer and changes nothing; another request with that token
 * answers IdempotentParameterMismatch.
 */
export function withClientToken(
  action: string,
  ctx: ActionContext,
  params: unknown,
  handler: (ctx: ActionContext, params: unknown) => unknown,
): unknown {
  const token = checkToken(action, typeof params === 'object' && params !== null ? (params as Record<string, unknown>).ClientToken : undefined);
  if (token === undefined) return handler(ctx, params);
  const request = requestText(params);
  const earlier = ctx.state.clientTokens.get(token);
  if (earlier !== undefined) {
    if (earlier.action !== action || earlier.request !== request) throw Ec2Errors.idempotentParameterMismatch();
    return JSON.parse(earlier.answer) as unknown;
  }
  const recording: ActionContext = Object.create(ctx, {
    mutate: {
      value: <T>(name: string, fn: Parameters<ActionContext['mutate']>[1]) =>
        ctx.mutate(name, (draft, change) => {
          const answer = fn(draft, change) as T;
          keepClientToken(draft, { token, action, request, answer: JSON.stringify(answer) });
          return answer;
        }),
    },
  }) as ActionContext;
  return handler(recording, params);
}
