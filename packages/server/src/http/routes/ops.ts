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

  app.get(
    '/readyz',
    {
      schema: {
        tags,
        summary: 'Ready to serve: the database answers',
        response: {
          200: Type.Object({ status: Type.String(), database: Type.String() }),
          503: Type.Object({ status: Type.String(), database: Type.String() }),
        },
      },
    },
    async (_req, reply) => {
      try {
        await services.store.ping();
        return { status: 'ready', database: services.store.engine };
      } catch (err) {
        reply.log.warn({ err: (err as Error).message }, 'readiness check failed');
        return reply.code(503).send({ status: 'unavailable', database: services.store.engine });
      }
    },
  );

  app.get('/metrics', { schema: { tags, summary: 'Prometheus metrics', hide: false } }, async (_req, reply) => {
    reply.header('content-type', metrics.contentType);
    return metrics.metrics();
  });
};
