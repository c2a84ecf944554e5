import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** What an attempt did to its event: sent, tried again later, given up, or its endpoint disabled (410). */
export type DeliveryOutcome = 'delivered' | 'retry' | 'failed' | 'gone';

/** The event webhooks' metrics. */
export class EventMetrics {
  readonly deliveries: Counter<'outcome'>;
  readonly latency: Histogram;

  constructor(registry: Registry, pending: () => Promise<number>) {
    const registers = [registry];
    this.deliveries = new Counter({
      name: 'callpush_event_deliveries_total',
      help: 'event webhook attempts by outcome: delivered, retry, failed (given up), gone (410, endpoint disabled)',
      labelNames: ['outcome'],
      registers,
    });
    this.latency = new Histogram({
      name: 'callpush_event_delivery_seconds',
      help: 'event webhook request to answer (or to the failure), per attempt',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    new Gauge({
      name: 'callpush_event_outbox_pending',
      help: 'events written and not yet delivered, given up or dropped, over the whole cluster',
      registers,
      async collect() {
        // A scrape must not fail with the database: the gauge keeps its last value then.
        const count = await pending().catch(() => undefined);
        if (count !== undefined) this.set(count);
      },
    });
  }
}
