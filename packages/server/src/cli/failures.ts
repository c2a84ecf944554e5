import { CallpushError } from '@callpush/sdk';

/**
 * What went wrong talking to the gateway, said for a person at a terminal: what happened and what to try,
 * never a stack trace.
 */
export function explain(err: unknown, baseUrl: string): Error {
  if (err instanceof CallpushError) {
    if (err.status === 401) {
      return new Error(`${baseUrl} refused the app credentials (${err.code}): check --app-key and --app-secret`);
    }
    if (err.code === 'http_error') return new Error(`${baseUrl} answered ${err.message}: is it a callpush gateway?`);
    return new Error(`${err.code}: ${err.message}${err.field ? ` (${err.field})` : ''}`);
  }
  // fetch fails on the network with a TypeError whose cause says why: a system code (ECONNREFUSED,
  // ENOTFOUND...) or a message (a port fetch refuses).
  const cause = err instanceof TypeError ? (err.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (cause) {
    const why = typeof cause.code === 'string' ? cause.code : String(cause.message);
    return new Error(`cannot reach a gateway at ${baseUrl} (${why}): is it running? (npm start runs the sandbox)`);
  }
  return err instanceof Error ? err : new Error(String(err));
}
