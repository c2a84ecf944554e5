import type { SessionPool } from '#infra/net';
import type { Warmth } from '../contract.js';
import type { TokenCache } from './token-cache.js';

/** A client's warm state from its token cache and its session pools. */
export function warmthOf(tokens: TokenCache, pools: SessionPool[]): Warmth {
  let connections = 0;
  let connectedSince: number | undefined;
  for (const pool of pools) {
    const { open, oldestSince } = pool.sessions();
    connections += open;
    if (oldestSince !== undefined) connectedSince = Math.min(connectedSince ?? oldestSince, oldestSince);
  }
  return { tokenFetchedAt: tokens.age()?.fetchedAt, connections, connectedSince };
}
