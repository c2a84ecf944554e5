import Fastify, { type FastifyInstance } from 'fastify';
import { HttpClient } from '#infra/net';
import type { AuthServerConfig } from './config.js';
import { registerFlowA } from './flow-a.js';
import { registerFlowB } from './flow-b.js';
import { OAuthError, sendOAuthError } from './oauth-error.js';
import { ProviderTokens } from './provider-tokens.js';

/** Token requests are a few hundred bytes; this leaves room and bounds what a caller can make us read. */
const BODY_LIMIT_BYTES = 16 * 1024;

export interface AuthServerOptions {
  /** Clock, epoch ms (tests validate the reference vectors at their own time). */
  now?: () => number;
  /** Extra CA (PEM) for Huawei's and Google's token endpoints: the emulators' in tests. */
  ca?: string;
  logger?: boolean;
}

/**
 * The app owner's authorization server for callpush's OAuth delegation (`callpush auth-server`). Not listening
 * yet: the caller adds hooks if it wants and calls `listen`. Every answer, refusals included, is OAuth-shaped.
 */
export function buildAuthServer(config: AuthServerConfig, options: AuthServerOptions = {}): FastifyInstance {
  const now = options.now ?? Date.now;
  // The upstream token URLs are this server's own configuration, set by whoever runs it: no one else's URL.
  const http = new HttpClient({ ca: options.ca, allowPrivate: true });
  const tokens = new ProviderTokens(config, http, now);
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: BODY_LIMIT_BYTES });
  // Bodies are read as text whatever their type; readForm refuses anything but a form with an OAuth error.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  app.setErrorHandler((err, request, reply) => {
    if (err instanceof OAuthError) return sendOAuthError(reply, err);
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    if (status < 500) return sendOAuthError(reply, new OAuthError('invalid_request', 'the request is malformed'));
    request.log.error({ err }, 'auth-server request failed');
    return sendOAuthError(reply, new OAuthError('temporarily_unavailable', 'internal error', 500));
  });
  app.setNotFoundHandler((_request, reply) =>
    sendOAuthError(reply, new OAuthError('invalid_request', 'no such endpoint', 404)),
  );
  app.get('/ping', async () => 'pong');
  registerFlowA(app, config, tokens, now);
  registerFlowB(app, config, tokens, now);
  app.addHook('onClose', async () => http.close());
  return app;
}

/** Builds and listens on the configured host and port; resolves with the base URL. */
export async function startAuthServer(
  config: AuthServerConfig,
  options: AuthServerOptions = {},
): Promise<{ app: FastifyInstance; url: string }> {
  const app = buildAuthServer(config, options);
  const url = await app.listen({ host: config.host, port: config.port });
  return { app, url };
}
