import { Gauge, Histogram, type Registry } from 'prom-client';

/** What the provider clients report: answer latency by provider and status, requests in flight per credential. */
export class ProviderMetrics {
  readonly response: Histogram<'provider' | 'status'>;
  readonly inflight: Gauge<'app' | 'credential'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.response = new Histogram({
      name: 'callpush_provider_response_seconds',
      help: 'provider request to response',
      labelNames: ['provider', 'status'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.inflight = new Gauge({
      name: 'callpush_provider_inflight_requests',
      help: 'provider requests in flight per credential',
      labelNames: ['app', 'credential'],
      registers,
    });
  }
}
