import { collectDefaultMetrics, Registry } from 'prom-client';

/** A metrics registry per gateway (tests run several in one process), with the process metrics. */
export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}
