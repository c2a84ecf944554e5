import type { RawReply } from './raw-http.js';

/** A way an answer breaks the contract: `kind` groups alike answers, `detail` is this one's body. */
export interface Problem {
  kind: string;
  detail?: string;
}

/**
 * What every answer of the gateway must be, whatever was asked: never a 5xx, every error the JSON
 * `{"error":{"code","message","field"?}}`, no body on a HEAD. Returns the problems found (none when it holds).
 */
export function contractProblems(reply: RawReply, method: string, options: { mayClose: boolean }): Problem[] {
  if (reply.timedOut) return [{ kind: 'no answer: the request hung' }];
  if (reply.status === 0) return options.mayClose ? [] : [{ kind: 'closed without an answer' }];
  const detail = reply.body.toString('utf8').slice(0, 300);
  const problems: Problem[] = [];
  if (reply.status >= 500) problems.push({ kind: `status ${reply.status}`, detail });
  if (method === 'HEAD') {
    if (reply.body.length > 0) problems.push({ kind: `HEAD answered ${reply.status} with a body`, detail });
    return problems;
  }
  if (reply.status < 400) return problems;
  const type = reply.headers['content-type'] ?? '';
  if (!/^application\/json\b/.test(type))
    problems.push({ kind: `${reply.status} error with content-type "${type}"`, detail });
  const wrong = errorBodyProblem(reply.body.toString('utf8'));
  if (wrong) problems.push({ kind: `${reply.status} error body outside the contract (${wrong})`, detail });
  return problems;
}

const CODE = /^[a-z][a-z0-9_]*$/;

/** What is wrong with an error body's shape (exactly `{error:{code,message,field?}}`, snake_case code), if anything. */
export function errorBodyProblem(text: string): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  const shape = (b: unknown): string | undefined => {
    if (typeof b !== 'object' || b === null || Array.isArray(b)) return 'not an object';
    const keys = Object.keys(b);
    if (keys.length !== 1 || keys[0] !== 'error') return `top-level keys ${JSON.stringify(keys)}`;
    const e = (b as { error: unknown }).error;
    if (typeof e !== 'object' || e === null || Array.isArray(e)) return 'error is not an object';
    const extra = Object.keys(e).filter((k) => !['code', 'message', 'field'].includes(k));
    if (extra.length) return `error has extra keys ${JSON.stringify(extra)}`;
    const { code, message, field } = e as Record<string, unknown>;
    if (typeof code !== 'string' || !CODE.test(code)) return `code ${JSON.stringify(code).slice(0, 40)}`;
    if (typeof message !== 'string' || message === '') return `message ${JSON.stringify(message)}`;
    if (field !== undefined && typeof field !== 'string') return `field ${JSON.stringify(field)}`;
    return undefined;
  };
  return shape(body);
}
