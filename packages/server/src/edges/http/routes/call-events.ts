import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { type CallsService, MAX_RING_SECONDS } from '#domain/calls';
import { type Authenticator, appOf } from '../authenticator.js';
import { errorResponses } from '../schemas.js';
import { EventStreams, keepAliveFor } from '../sse.js';
import { view } from './calls.js';

/**
 * How often an open stream reads its call back from the store. A delivery is updated by whichever node sends
 * it, so a read (not this node's own events) is what sees every change on a multi-node deployment.
 */
export const STREAM_REREAD_MS = 500;
/** A stream never outlives its call's ring by more than this (cancels and notices settle within it). */
const SETTLE_GRACE_MS = 60_000;

type CallView = ReturnType<typeof view>;

/** Over: no longer ringing and nothing (cancel, missed-call notice) still on its way. */
const settled = (v: CallView) => v.state !== 'ringing' && !v.deliveries.some((d) => d.state === 'pending');

export interface CallEventsDeps {
  calls: Pick<CallsService, 'get'>;
  auth: Authenticator;
  /** Streams an app may hold open on one node at once. */
  streamsPerApp: number;
  /** The idle timeout, which the keep-alive comments stay within. */
  idleTimeoutMs: number;
}

/**
 * `GET /v1/calls/{callId}/events`: the call as `GET /v1/calls/{callId}` shows it, as server-sent events each
 * time it changes, until it is settled (docs/console.md). App credentials only: the console and app backends
 * watch calls; an app in the foreground hears of its own over the active connection.
 */
export const callEventsRoutes: FastifyPluginAsyncTypebox<CallEventsDeps> = async (app, deps) => {
  const { calls, auth } = deps;
  const streams = new EventStreams(app, {
    maxPerKey: deps.streamsPerApp,
    lifetimeMs: (MAX_RING_SECONDS * 1000 + SETTLE_GRACE_MS) * 2,
    keepAliveMs: keepAliveFor(deps.idleTimeoutMs),
  });
  app.addHook('onRequest', async (req) => auth.app(req));

  app.get(
    '/v1/calls/:callId/events',
    {
      // A HEAD would have no stream to show.
      exposeHeadRoute: false,
      schema: {
        tags: ['calls'],
        security: [{ app: [] }],
        summary: 'The call each time it changes, as server-sent events, until it is settled',
        params: Type.Object({ callId: Type.String({ minLength: 1, maxLength: 64 }) }),
        response: errorResponses(401, 404, 429),
      },
    },
    async (req, reply) => {
      const appKey = appOf(req);
      const { callId } = req.params;
      // Unknown or another app's call: a 404 in the error contract, before any stream is opened.
      const first = await calls.get(appKey, callId);
      const stream = streams.start(reply, appKey);
      let last = '';
      /** Sends the call when it changed; true once it is settled (the stream then ends). */
      const push = (found: Awaited<ReturnType<typeof calls.get>>): boolean => {
        const current = view(found.call, found.deliveries);
        const text = JSON.stringify(current);
        if (text !== last) {
          last = text;
          stream.send('call', current);
        }
        return settled(current);
      };
      if (push(first)) return stream.end('end', { reason: 'settled' });
      const deadline = setTimeout(
        () => stream.end('end', { reason: 'lifetime' }),
        Math.max(0, first.call.expiresAt - Date.now()) + SETTLE_GRACE_MS,
      );
      let reading = false;
      const reread = setInterval(() => {
        // One read at a time: a slow store skips ticks instead of piling reads up.
        if (reading) return;
        reading = true;
        calls
          .get(appKey, callId)
          .then((found) => {
            if (push(found)) stream.end('end', { reason: 'settled' });
          })
          .catch((err: unknown) => {
            req.log.warn({ err, callId }, 'call stream: the call could not be read');
            stream.end('end', { reason: 'error' });
          })
          .finally(() => {
            reading = false;
          });
      }, STREAM_REREAD_MS);
      stream.onClose(() => {
        clearInterval(reread);
        clearTimeout(deadline);
      });
    },
  );
};
