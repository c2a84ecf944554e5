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
  // fetch's network failures are a TypeError whose cause has the system's code (ECONNREFUSED, ENOTFOUND...).
  const code = (err as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  if (err instanceof TypeError && typeof code === 'string') {
    return new Error(`cannot reach a gateway at ${baseUrl} (${code}): is it running? (npm start runs the sandbox)`);
  }
  return err instanceof Error ? err : new Error(String(err));
}
