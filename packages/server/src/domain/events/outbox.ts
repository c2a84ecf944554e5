import type { Kysely } from 'kysely';
import type { Database, Store } from '#infra/store';
import { type Clock, newId, systemClock } from '#kernel';
import type { EventSink } from './event-sink.js';
import type { EventRecord, EventType } from './event-types.js';
import { OutboxRepository, type OutboxRow } from './outbox-repository.js';
import { Sequence } from './sequence.js';
import { eventBody } from './signature.js';

export interface EventOutboxDeps {
  store: Store;
  endpoints: { wants(appKey: string, type: EventType): Promise<boolean> };
  deliverer: { nudge(): void };
  now?: Clock;
}

/**
 * Where changes record their events (the EventSink port): rows of the outbox, written by the change's own
 * transaction, each with a `seq` that sorts it after every event of its subject written before, whichever node
 * wrote those (sequence.ts). The deliverer sends them.
 */
export class EventOutbox implements EventSink {
  private readonly repo: OutboxRepository;
  private readonly now: Clock;
  private readonly sequence = new Sequence();

  constructor(private readonly deps: EventOutboxDeps) {
    this.repo = new OutboxRepository(deps.store);
    this.now = deps.now ?? systemClock;
  }

  wants(appKey: string, type: EventType): Promise<boolean> {
    return this.deps.endpoints.wants(appKey, type);
  }

  async write(db: Kysely<Database>, events: EventRecord[]): Promise<void> {
    const now = this.now();
    const lastOfSubject = new Map<string, number>();
    const rows: OutboxRow[] = [];
    for (const event of events) {
      const key = `${event.appKey}\n${event.subject}`;
      const last = lastOfSubject.get(key) ?? (await this.repo.lastSeq(db, event.appKey, event.subject));
      const seq = this.sequence.next(now, last);
      lastOfSubject.set(key, seq);
      rows.push({
        id: newId('evt'),
        app_key: event.appKey,
        type: event.type,
        subject: event.subject,
        seq,
        payload_json: eventBody(event.type, event.at, event.data),
        created_at: now,
        state: 'pending',
        attempts: 0,
        next_attempt_at: now,
        lease_owner: null,
        lease_until: null,
        delivered_at: null,
        last_status: null,
        last_error: null,
      });
    }
    await this.repo.insert(db, rows);
  }

  written(): void {
    this.deps.deliverer.nudge();
  }
}
