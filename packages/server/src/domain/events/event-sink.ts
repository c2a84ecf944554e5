import type { Kysely } from 'kysely';
import type { Database } from '#infra/store';
import type { EventRecord, EventType } from './event-types.js';

/**
 * How a change records its events: it asks which types the app's endpoint wants (cached per node, so an app
 * without an endpoint costs nothing), writes those in the transaction of the change, and says when it is
 * committed so this node sends them at once.
 */
export interface EventSink {
  wants(appKey: string, type: EventType): Promise<boolean>;
  /** Inserts into the outbox through `db`: the transaction of the change the events report. */
  write(db: Kysely<Database>, events: EventRecord[]): Promise<void>;
  /** The transaction that wrote events committed: deliver them now rather than at the next poll. */
  written(): void;
}
