import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ProviderHealthRepository } from '#domain/calls';
import type { ProviderClientPool, ProvidersService } from '#providers';
import { type Authenticator, appOf } from '../authenticator.js';
import { AppKeyParam, errorResponses } from '../schemas.js';

/** The window the health covers: the last hour. */
export const HEALTH_WINDOW_MS = 3_600_000;

const HealthSchema = Type.Object({
  name: Type.String(),
  type: Type.String(),
  deliveries: Type.Integer({ description: 'push deliveries of calls placed in the window' }),
  failures: Type.Integer({ description: 'of those, the ones that ended failed or expired' }),
  lastError: Type.Optional(
    Type.Object({
      reason: Type.String({ description: 'the outcome code: retry, token_gone, config_error, rejected, …' }),
      detail: Type.Optional(Type.String({ description: "the provider's reason" })),
      at: Type.Integer({ description: 'epoch ms' }),
    }),
  ),
  tokenCache: Type.Optional(
    Type.Object(
      {
        cached: Type.Boolean({ description: 'whether this node holds an access token for it now' }),
        fetchedAt: Type.Optional(Type.Integer({ description: 'when it was fetched, epoch ms' })),
        connections: Type.Integer({ description: "this node's open connections to the provider" }),
      },
      { description: "this node's client, once a send built it (absent for Web Push: no token to cache)" },
    ),
  ),
  misconfigured: Type.Boolean({
    description: 'the provider refused the credential itself (config_error) since it was last stored',
  }),
});

/** `GET /v1/apps/{appKey}/provider-health`: how each credential did over the last hour (docs/console.md). */
export const providerHealthRoutes: FastifyPluginAsyncTypebox<{
  providers: Pick<ProvidersService, 'list'>;
  health: ProviderHealthRepository;
  clients: Pick<ProviderClientPool, 'warmthOf'>;
  auth: Authenticator;
}> = async (app, { providers, health, clients, auth }) => {
  app.addHook('onRequest', async (req) => auth.app(req));
  app.get(
    '/v1/apps/:appKey/provider-health',
    {
      schema: {
        tags: ['providers'],
        security: [{ app: [] }],
        summary: "Each provider credential's deliveries and failures over the last hour, last error and token cache",
        params: Type.Object({ appKey: AppKeyParam }),
        response: {
          200: Type.Object({
            since: Type.Integer({ description: 'start of the window, epoch ms' }),
            providers: Type.Array(HealthSchema),
          }),
          ...errorResponses(401, 403),
        },
      },
    },
    async (req) => {
      const appKey = appOf(req, req.params.appKey);
      const since = Date.now() - HEALTH_WINDOW_MS;
      const [credentials, rows] = await Promise.all([providers.list(appKey), health.since(appKey, since)]);
      const out = await Promise.all(
        credentials.map(async (c) => {
          const row = rows.find((r) => r.provider === c.name);
          const warmth = await clients.warmthOf(appKey, c.name);
          const lastError = row?.lastError;
          return {
            name: c.name,
            type: c.type,
            deliveries: row?.deliveries ?? 0,
            failures: row?.failures ?? 0,
            ...(lastError ? { lastError } : {}),
            ...(warmth
              ? {
                  tokenCache: {
                    cached: warmth.tokenFetchedAt !== undefined,
                    ...(warmth.tokenFetchedAt !== undefined ? { fetchedAt: warmth.tokenFetchedAt } : {}),
                    connections: warmth.connections,
                  },
                }
              : {}),
            misconfigured: lastError?.reason === 'config_error' && lastError.at >= c.updatedAt,
          };
        }),
      );
      return { since, providers: out };
    },
  );
};
