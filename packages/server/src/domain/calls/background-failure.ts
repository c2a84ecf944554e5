import type { FastifyBaseLogger } from 'fastify';
import { StoreClosed } from '#infra/store';

/**
 * Reports background work (a retry, a push fallback, a call's follow-ups) that failed. Work that outlived the
 * store on a stopping node is expected: its deliveries' leases are released, and the node that takes them
 * over finishes it. Anything else is a bug or an outage, an error.
 */
export function backgroundFailed(log: FastifyBaseLogger, err: unknown, what: string): void {
  if (err instanceof StoreClosed) log.info(`${what}: not recorded, the node is stopping`);
  else log.error({ err }, `${what} failed`);
}
