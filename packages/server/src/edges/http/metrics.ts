import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { Counter, Histogram, type Registry } from 'prom-client';

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

/** Reports a client's breach of the active-connection protocol, by reason. */
export type ProtocolErrorReport = (log: FastifyBaseLogger, reason: string) => void;

/**
 * Counts the frames and sockets refused as protocol errors and logs each at debug without a stack: they are
 * the client's doing, so an ERROR line per malformed frame would let any client flood the logs.
 */
export function protocolErrors(registry: Registry): ProtocolErrorReport {
  const counter = new Counter({
    name: 'callpush_ws_protocol_errors_total',
    help: 'active-connection frames or sockets refused as protocol errors, by reason',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  return (log, reason) => {
    counter.inc({ reason });
    log.debug({ reason }, 'active connection protocol error');
  };
}
