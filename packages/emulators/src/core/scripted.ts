import type { Behaviour, BehaviourStore } from './behaviours.js';
import { closeConnectionAfter, resetStream } from './connection.js';
import { type AnyRequest, type AnyResponse, delay } from './http.js';

/**
 * Plays what is scripted for `token` on one request that passed validation: waits the latency, resets the
 * stream for `reset` (returning 'dropped': nothing more to answer), and makes the response the connection's
 * last for `goaway` (with `goawayDebugData` as HTTP/2 GOAWAY opaque data). Returns the failure the emulator
 * still has to answer in its provider's terms (`goaway` included), or undefined to proceed normally.
 */
export async function playScripted(
  behaviours: BehaviourStore,
  token: string,
  req: AnyRequest,
  res: AnyResponse,
  goawayDebugData?: string,
): Promise<Behaviour | 'dropped' | undefined> {
  const { latencyMs, failure } = behaviours.consume(token);
  if (latencyMs > 0) await delay(latencyMs);
  if (failure?.kind === 'reset') {
    resetStream(req);
    return 'dropped';
  }
  if (failure?.kind === 'goaway') closeConnectionAfter(req, res, goawayDebugData);
  return failure;
}
