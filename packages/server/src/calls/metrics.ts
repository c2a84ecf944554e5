import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The ring path's metrics (issue 4 item 6). */
export class RingMetrics {
  readonly ringDispatch: Histogram;
  readonly providerResponse: Histogram<'provider' | 'status'>;
  readonly outcomes: Counter<'provider' | 'type' | 'outcome'>;
  readonly inflight: Gauge<'app' | 'credential'>;
  readonly receiptLatency: Histogram;

  constructor(registry: Registry) {
    const registers = [registry];
    this.ringDispatch = new Histogram({
      name: 'callpush_ring_dispatch_seconds',
      help: 'call accepted (committed) to provider request written, per ring delivery',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    });
    this.providerResponse = new Histogram({
      name: 'callpush_provider_response_seconds',
      help: 'provider request to response',
      labelNames: ['provider', 'status'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.outcomes = new Counter({
      name: 'callpush_deliveries_total',
      help: 'delivery attempts by provider, message type and outcome',
      labelNames: ['provider', 'type', 'outcome'],
      registers,
    });
    this.inflight = new Gauge({
      name: 'callpush_provider_inflight_requests',
      help: 'provider requests in flight per credential',
      labelNames: ['app', 'credential'],
      registers,
    });
    this.receiptLatency = new Histogram({
      name: 'callpush_ring_receipt_seconds',
      help: 'call accepted to the device reporting the ring arrived',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers,
    });
  }
}
