import type { Store } from '#infra/store';
import { OutboxRepository } from './outbox-repository.js';

/**
 * What the retention sweep (CALLPUSH_RETENTION_DAYS) deletes of the event webhooks, in bounded batches: outbox
 * events that are done with (an event still owed is kept), and attempts.
 */
export function eventPurges(
  store: Store,
): Array<{ what: string; purge(before: number, limit: number): Promise<number> }> {
  const repo = new OutboxRepository(store);
  return [
    { what: 'event_outbox', purge: (before, limit) => repo.deleteFinishedBefore(before, limit) },
    { what: 'event_attempts', purge: (before, limit) => repo.deleteAttemptsBefore(before, limit) },
  ];
}
