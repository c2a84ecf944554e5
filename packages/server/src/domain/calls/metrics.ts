import { Counter, Histogram, type Registry } from 'prom-client';

/** The ring path's metrics (the provider clients' own are in providers/metrics.ts). */
export class RingMetrics {
  readonly ringDispatch: Histogram;
  readonly outcomes: Counter<'provider' | 'type' | 'outcome'>;
  readonly receiptLatency: Histogram;
  readonly misconfigured: Counter<'provider' | 'cause'>;
  readonly receipts: Counter<'provider' | 'transport'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.ringDispatch = new Histogram({
      name: 'callpush_ring_dispatch_seconds',
      help: 'call accepted (committed) to provider request written, per ring delivery',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    });
    this.outcomes = new Counter({
      name: 'callpush_deliveries_total',
      help: 'delivery attempts by provider, message type and outcome',
      labelNames: ['provider', 'type', 'outcome'],
      registers,
    });
    this.receiptLatency = new Histogram({
      name: 'callpush_ring_receipt_seconds',
      help: 'call accepted to the device reporting the ring arrived',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers,
    });
    this.receipts = new Counter({
      name: 'callpush_ring_receipts_total',
      help: 'rings a device confirmed (first receipt), by provider type and transport; against callpush_deliveries_total{type="ring",outcome="sent"} it is the receipt ratio',
      labelNames: ['provider', 'transport'],
      registers,
    });
    this.misconfigured = new Counter({
      name: 'callpush_credential_misconfigured_total',
      help: 'dead-token answers not trusted, the device kept: the credential delivered to nobody lately (not_delivering) or too many at once (prune_breaker)',
      labelNames: ['provider', 'cause'],
      registers,
    });
  }
}
