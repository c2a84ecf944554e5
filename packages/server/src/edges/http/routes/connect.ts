import type { Socket } from 'node:net';
import type { FastifyPluginAsync } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import type { CallsService } from '#domain/calls';
import {
  CLOSE,
  type ClientFrame,
  type Connection,
  type ConnectionHub,
  closeSocket,
  HELLO_TIMEOUT_MS,
  parseClientFrame,
} from '#domain/realtime';
import { TokenError } from '#infra/tokens';
import { type Clock, CodedError, systemClock } from '#kernel';
import type { Authenticator } from '../authenticator.js';
import { HttpError } from '../errors.js';
import type { ProtocolErrorReport } from '../metrics.js';
import { errorResponses } from '../schemas.js';

export interface ConnectRouteOptions {
  auth: Pick<Authenticator, 'verifyToken'>;
  calls: Pick<CallsService, 'catchUp' | 'receipt'>;
  hub: ConnectionHub;
  heartbeatMs: number;
  ackWindowMs: number;
  /** Counts and logs a frame the protocol refuses. */
  protocolError: ProtocolErrorReport;
  /** The socket's hello authenticated: the TCP connection no longer counts as unauthenticated. */
  authenticated(socket: Socket): void;
  now?: Clock;
}

/** Token failures close with 4001 (get a new token) except an unknown app, which no token will fix. */
function refuse(socket: WebSocket, err: TokenError): void {
  const code = err.code === 'unknown_app' ? CLOSE.forbidden : CLOSE.unauthorized;
  closeSocket(socket, code, err.code, err.message);
}

/** `GET /v1/connect`: the active connection (docs/active-connection.md). */
export const connectRoute: FastifyPluginAsync<ConnectRouteOptions> = async (app, options) => {
  const { auth, calls, hub } = options;
  const now = options.now ?? systemClock;
  const verify = (token: string) => auth.verifyToken(token);

  app.route({
    method: 'GET',
    url: '/v1/connect',
    schema: {
      tags: ['connection'],
      summary: 'Active connection (WebSocket): rings and cancels over a live socket, push as fallback',
      description:
        'A WebSocket upgrade. First frame {"type":"hello","token":"<user access token>","deviceId"}; frames and ' +
        'close codes in docs/active-connection.md. A plain GET is answered 426.',
      response: errorResponses(426),
    },
    // Declared with `handler` + `wsHandler` (not `websocket: true`, which hides the route from the OpenAPI doc).
    handler: async () => {
      throw new HttpError(426, 'upgrade_required', 'GET /v1/connect is a WebSocket endpoint: send Upgrade: websocket', {
        upgrade: 'websocket',
      });
    },
    wsHandler: (socket, req) => {
      let conn: Connection | undefined;
      // Frames are handled one after another: a receipt never overtakes the hello it follows.
      let queue: Promise<void> = Promise.resolve();
      const breach = (code: string, message: string) => {
        options.protocolError(req.log, code);
        closeSocket(socket, CLOSE.badFrame, code, message);
      };
      const helloTimer = setTimeout(
        () => breach('hello_timeout', `no hello within ${HELLO_TIMEOUT_MS} ms`),
        HELLO_TIMEOUT_MS,
      );

      const handle = async (frame: ClientFrame): Promise<void> => {
        if (frame.type === 'hello') {
          if (conn) return breach('bad_frame', 'hello was already sent');
          clearTimeout(helloTimer);
          const verified = await verify(frame.token);
          if (socket.readyState !== socket.OPEN) return;
          conn = {
            appKey: verified.appKey,
            userId: verified.userId,
            deviceId: frame.deviceId,
            socket,
            lastSeen: now(),
            tokenExpiresAt: verified.expiresAt,
          };
          hub.add(conn);
          options.authenticated(req.raw.socket);
          socket.send(
            JSON.stringify({
              type: 'ready',
              userId: conn.userId,
              deviceId: conn.deviceId,
              heartbeatMs: options.heartbeatMs,
              ackWindowMs: options.ackWindowMs,
              tokenExpiresAt: conn.tokenExpiresAt,
            }),
          );
          const { appKey, userId, deviceId } = conn;
          await calls.catchUp(appKey, userId, deviceId, (f) => hub.send(appKey, userId, deviceId, f));
          return;
        }
        if (!conn) return breach('hello_required', 'the first frame must be a hello');
        switch (frame.type) {
          case 'auth': {
            const verified = await verify(frame.token);
            if (verified.appKey !== conn.appKey || verified.userId !== conn.userId) {
              return closeSocket(socket, CLOSE.forbidden, 'wrong_user', 'the new token is for another user');
            }
            conn.tokenExpiresAt = verified.expiresAt;
            socket.send(JSON.stringify({ type: 'auth.ok', tokenExpiresAt: verified.expiresAt }));
            return;
          }
          case 'receipt':
            try {
              await calls.receipt(conn.appKey, frame.callId, conn.userId, conn.deviceId);
            } catch (err) {
              // A receipt for a call this device was not rung for (or that is gone) changes nothing.
              if (!(err instanceof CodedError)) throw err;
            }
            return;
          case 'ping':
            socket.send(JSON.stringify({ type: 'pong' }));
            return;
          case 'pong':
            return;
        }
      };

      socket.on('message', (data: RawData, isBinary: boolean) => {
        const frame = isBinary ? undefined : parseClientFrame(data.toString());
        if (!frame) return breach('bad_frame', 'not a JSON text frame of a known type');
        if (conn) conn.lastSeen = now();
        queue = queue
          .then(() => handle(frame))
          .catch((err: unknown) => {
            if (err instanceof TokenError) return refuse(socket, err);
            app.log.error({ err }, 'active connection frame failed');
            closeSocket(socket, 1011, 'internal_error', 'the gateway failed to handle a frame');
          });
      });
      socket.on('close', () => {
        clearTimeout(helloTimer);
        if (conn) hub.remove(conn);
      });
      // A reset socket emits error then close; close does the clean-up.
      socket.on('error', () => undefined);
    },
  });
};
