import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Registry } from 'prom-client';
import { Type } from 'typebox';
import type { Services } from '../context.js';

/** Liveness, readiness and metrics: unauthenticated, for load balancers and Prometheus. */
export const opsRoutes: FastifyPluginAsyncTypebox<{ services: Services; metrics: Registry }> = async (
  app,
  { services, metrics },
) => {
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
        services.store.ping().then(
          () => true,
          (err: Error) => {
            reply.log.warn({ err: err.message }, 'readiness: the database does not answer');
            return false;
          },
        ),
        services.cluster.shared
          ? services.cluster.ping().then(
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
        database: services.store.engine,
        databaseOk: database,
        redis,
      });
    },
  );

  app.get('/metrics', { schema: { tags, summary: 'Prometheus metrics', hide: false } }, async (_req, reply) => {
    reply.header('content-type', metrics.contentType);
    return metrics.metrics();
  });
};
