import { Counter, type Registry } from 'prom-client';
import type { Store } from './connect.js';

/** The store's round trips, so an operator sees what a call costs the database (docs/benchmarks.md). */
export function registerStoreMetrics(registry: Registry, store: Store): void {
  const { engine } = store;
  new Counter({
    name: 'callpush_database_statements_total',
    help: 'statements this node sent to its database (BEGIN and COMMIT included): its round trips, by engine',
    labelNames: ['engine'],
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ engine }, store.statements);
    },
  });
}
