import type { FastifyInstance } from 'fastify';
import { Histogram, type Registry } from 'prom-client';

/** Adds the HTTP latency histogram by route and status. */
export function instrument(app: FastifyInstance, registry: Registry): void {
  const latency = new Histogram({
    name: 'callpush_http_request_duration_seconds',
    help: 'HTTP request latency by route and status',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  app.addHook('onResponse', async (req, reply) => {
    latency.observe(
      { method: req.method, route: req.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
}
