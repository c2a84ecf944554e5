import { Counter, type Registry } from 'prom-client';

export interface ClusterMetrics {
  degraded: Counter<'reason'>;
}

/** `callpush_degraded_total`: work done without Redis (shared with the rate limiter, hence get-or-create). */
export function clusterMetrics(registry: Registry): ClusterMetrics {
  const name = 'callpush_degraded_total';
  const existing = registry.getSingleMetric(name) as Counter<'reason'> | undefined;
  return {
    degraded:
      existing ??
      new Counter({
        name,
        help: 'operations that went on without Redis (presence, events, rate limits), by reason',
        labelNames: ['reason'],
        registers: [registry],
      }),
  };
}
