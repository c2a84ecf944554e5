import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Registry } from 'prom-client';
import { Type } from 'typebox';
import type { Cluster } from '#infra/cluster';
import type { Store } from '#infra/store';
import type { Authenticator } from '../authenticator.js';
import { errorResponses } from '../schemas.js';

export interface OpsDeps {
  store: Pick<Store, 'ping' | 'engine'>;
  cluster: Pick<Cluster, 'shared' | 'ping'>;
  metrics: Registry;
  auth: Pick<Authenticator, 'metrics'>;
}

/** Liveness, readiness and metrics, for load balancers and Prometheus; metrics behind a token if one is set. */
export const opsRoutes: FastifyPluginAsyncTypebox<OpsDeps> = async (app, { store, cluster, metrics, auth }) => {
  const tags = ['ops'];
  app.get(
    '/healthz',
    { schema: { tags, summary: 'The process is up', response: { 200: Type.Object({ status: Type.Literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  );

  const Readiness = Type.Object({
    status: Type.String({ description: 'ready or unavailable' }),
    database: Type.String({ description: 'the engine, sqlite or postgres' }),
    databaseOk: Type.Boolean(),
    redis: Type.String({ description: 'ok, unreachable, or off (one node, no Redis)' }),
  });
  app.get(
    '/readyz',
    {
      schema: {
        tags,
        summary: 'Ready to serve: the database answers, and Redis when several nodes share it',
        response: { 200: Readiness, 503: Readiness },
      },
    },
    async (_req, reply) => {
      const [database, redis] = await Promise.all([
        store.ping().then(
          () => true,
          (err: Error) => {
            reply.log.warn({ err: err.message }, 'readiness: the database does not answer');
            return false;
          },
        ),
        cluster.shared
          ? cluster.ping().then(
              () => 'ok',
              (err: Error) => {
                reply.log.warn({ err: err.message }, 'readiness: redis does not answer');
                return 'unreachable';
              },
            )
          : 'off',
      ]);
      const ready = database && redis !== 'unreachable';
      return reply.code(ready ? 200 : 503).send({
        status: ready ? 'ready' : 'unavailable',
        database: store.engine,
        databaseOk: database,
        redis,
      });
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        tags,
        security: [{ metrics: [] }],
        summary: 'Prometheus metrics (the bearer token is asked for when CALLPUSH_METRICS_TOKEN is set)',
        response: errorResponses(401),
      },
      onRequest: async (req) => auth.metrics(req),
    },
    async (_req, reply) => {
      reply.header('content-type', metrics.contentType);
      return metrics.metrics();
    },
  );
};
