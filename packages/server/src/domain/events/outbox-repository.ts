import type { Kysely } from 'kysely';
import type { Database, EventAttemptsTable, EventOutboxTable, Store } from '#infra/store';

export type OutboxRow = EventOutboxTable;
export type AttemptRow = EventAttemptsTable;

/** How an attempt leaves its event: the fields it sets besides releasing the lease. */
export type OutboxPatch = Pick<
  EventOutboxTable,
  'state' | 'attempts' | 'next_attempt_at' | 'delivered_at' | 'last_status' | 'last_error'
>;

/** The `event_outbox` and `event_attempts` tables: the one place that reads or writes them. */
export class OutboxRepository {
  constructor(private readonly store: Store) {}

  /** Inserts through `db`, the transaction of the change the events report. */
  async insert(db: Kysely<Database>, rows: OutboxRow[]): Promise<void> {
    if (rows.length > 0) await db.insertInto('event_outbox').values(rows).execute();
  }

  /** The highest `seq` of a subject so far (through the writing transaction), so a new event sorts after it. */
  async lastSeq(db: Kysely<Database>, appKey: string, subject: string): Promise<number> {
    const row = await db
      .selectFrom('event_outbox')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .where('app_key', '=', appKey)
      .where('subject', '=', subject)
      .executeTakeFirst();
    return Number(row?.seq ?? 0);
  }

  /**
   * Leases to `owner`, until `until`, at most `limit` events that are due and unleased (or whose lease was
   * taken before `leasedBefore`: its node died) and first of their subject: an event waits while an earlier one
   * of its subject is pending, so each subject has at most one event in flight, in order. On PostgreSQL rows
   * another node is claiming are skipped (`FOR UPDATE SKIP LOCKED`); SQLite has one writer.
   */
  async claim(owner: string, now: number, leasedBefore: number, until: number, limit: number): Promise<OutboxRow[]> {
    const db = this.store.db;
    let due = db
      .selectFrom('event_outbox as o')
      .select('o.id')
      .where('o.state', '=', 'pending')
      .where('o.next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('o.lease_until', 'is', null), eb('o.lease_until', '<', leasedBefore)]))
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('event_outbox as e')
              .select('e.id')
              .whereRef('e.app_key', '=', 'o.app_key')
              .whereRef('e.subject', '=', 'o.subject')
              .where('e.state', '=', 'pending')
              .where((eb) =>
                eb.or([
                  eb('e.seq', '<', eb.ref('o.seq')),
                  eb.and([eb('e.seq', '=', eb.ref('o.seq')), eb('e.id', '<', eb.ref('o.id'))]),
                ]),
              ),
          ),
        ),
      )
      .orderBy('o.next_attempt_at')
      .limit(limit);
    if (this.store.engine === 'postgres') due = due.forUpdate().skipLocked();
    return db
      .updateTable('event_outbox')
      .set({ lease_owner: owner, lease_until: until })
      .where('id', 'in', due)
      .returningAll()
      .execute();
  }

  /** Extends this node's leases on the events it is sending. */
  async renew(owner: string, ids: string[], until: number): Promise<void> {
    if (ids.length === 0) return;
    await this.store.db
      .updateTable('event_outbox')
      .set({ lease_until: until })
      .where('lease_owner', '=', owner)
      .where('id', 'in', ids)
      .execute();
  }

  /**
   * Records an attempt and applies its result to the event, releasing the lease; the event is left alone when
   * this node no longer holds it (another node took it over).
   */
  async settle(id: string, owner: string, patch: OutboxPatch, attempt: AttemptRow): Promise<void> {
    await this.store.db.transaction().execute(async (tx) => {
      await tx.insertInto('event_attempts').values(attempt).execute();
      await tx
        .updateTable('event_outbox')
        .set({ ...patch, lease_owner: null, lease_until: null })
        .where('id', '=', id)
        .where('lease_owner', '=', owner)
        .execute();
    });
  }

  /** Records an attempt that belongs to no outbox event (the test event). */
  async record(attempt: AttemptRow): Promise<void> {
    await this.store.db.insertInto('event_attempts').values(attempt).execute();
  }

  /** Ends an event without an attempt: its endpoint is gone, disabled, or no longer wants its type. */
  async drop(id: string, owner: string): Promise<void> {
    await this.store.db
      .updateTable('event_outbox')
      .set({ state: 'dropped', lease_owner: null, lease_until: null, next_attempt_at: null })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .execute();
  }

  /** Hands this node's leases over (a clean stop): another node, or the next run, sends those events. */
  async release(owner: string): Promise<void> {
    await this.store.db
      .updateTable('event_outbox')
      .set({ lease_owner: null, lease_until: null })
      .where('lease_owner', '=', owner)
      .execute();
  }

  /** An app's latest attempts, newest first. */
  attempts(appKey: string, limit: number): Promise<AttemptRow[]> {
    return this.store.db
      .selectFrom('event_attempts')
      .selectAll()
      .where('app_key', '=', appKey)
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
  }

  /** Events still owed, over every app: the backlog. */
  async pendingCount(): Promise<number> {
    const row = await this.store.db
      .selectFrom('event_outbox')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('state', '=', 'pending')
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Deletes at most `limit` events delivered, given up or dropped, written before `before`; how many. */
  async deleteFinishedBefore(before: number, limit: number): Promise<number> {
    let old = this.store.db
      .selectFrom('event_outbox')
      .select('id')
      .where('state', 'in', ['delivered', 'failed', 'dropped'])
      .where('created_at', '<', before)
      .limit(limit);
    if (this.store.engine === 'postgres') old = old.forUpdate().skipLocked();
    const result = await this.store.db.deleteFrom('event_outbox').where('id', 'in', old).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Deletes at most `limit` attempts made before `before`; how many. */
  async deleteAttemptsBefore(before: number, limit: number): Promise<number> {
    let old = this.store.db.selectFrom('event_attempts').select('id').where('at', '<', before).limit(limit);
    if (this.store.engine === 'postgres') old = old.forUpdate().skipLocked();
    const result = await this.store.db.deleteFrom('event_attempts').where('id', 'in', old).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
