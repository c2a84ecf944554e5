import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** What became of a sent ring's receipt (docs/diagnosis.md#metrics). */
export type ReceiptOutcome = 'received' | 'late' | 'missing';

/** The ring path's metrics (the provider clients' own are in providers/metrics.ts). */
export class RingMetrics {
  readonly ringDispatch: Histogram;
  readonly outcomes: Counter<'provider' | 'type' | 'outcome'>;
  readonly receiptLatency: Histogram;
  readonly misconfigured: Counter<'provider' | 'cause'>;
  readonly receipts: Counter<'provider' | 'transport' | 'outcome'>;
  readonly receiptRatio: Gauge<'provider'>;

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
      help: 'sent rings by provider type, transport and receipt outcome: received (within the ring window), late (after it), missing (the call timed out unconfirmed)',
      labelNames: ['provider', 'transport', 'outcome'],
      registers,
    });
    const receipts = this.receipts;
    this.receiptRatio = new Gauge({
      name: 'callpush_ring_receipt_ratio',
      help: 'received / (received + missing) of callpush_ring_receipts_total on this node since it started, by provider type',
      labelNames: ['provider'],
      registers,
      async collect() {
        const counts = new Map<string, { received: number; missing: number }>();
        for (const { labels, value } of (await receipts.get()).values) {
          const c = counts.get(String(labels.provider)) ?? { received: 0, missing: 0 };
          if (labels.outcome === 'received') c.received += value;
          if (labels.outcome === 'missing') c.missing += value;
          counts.set(String(labels.provider), c);
        }
        this.reset();
        for (const [provider, c] of counts) {
          if (c.received + c.missing > 0) this.set({ provider }, c.received / (c.received + c.missing));
        }
      },
    });
    this.misconfigured = new Counter({
      name: 'callpush_credential_misconfigured_total',
      help: 'dead-token answers not trusted, the device kept: the credential delivered to nobody lately (not_delivering) or too many at once (prune_breaker)',
      labelNames: ['provider', 'cause'],
      registers,
    });
  }
}
