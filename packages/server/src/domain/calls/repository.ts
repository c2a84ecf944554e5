import { type CompiledQuery, type ExpressionBuilder, type Kysely, type Selectable, sql } from 'kysely';
import {
  type Database,
  type DeliveriesTable,
  PreparedInsert,
  PreparedQuery,
  retryingDeadlocks,
  type Store,
} from '#infra/store';
import type { CancelReason } from '#kernel';
import type { AlsoWrite } from './call-events.js';
import { toCall } from './call-rows.js';
import type { Call, Delivery, DeliveryPatch, DeliveryState, ProviderReceiptKind } from './model.js';
import { isRinging } from './state-machine.js';

export function toDelivery(row: Selectable<DeliveriesTable>): Delivery {
  const opt = <T>(v: T | null) => (v === null ? undefined : v);
  return {
    id: row.id,
    callId: row.call_id,
    appKey: row.app_key,
    userId: row.user_id,
    deviceId: row.device_id,
    provider: row.provider,
    providerType: row.provider_type,
    token: row.token,
    kind: row.kind as Delivery['kind'],
    environment: opt(row.environment) as Delivery['environment'],
    format: opt(row.format) as Delivery['format'],
    transport: row.transport as Delivery['transport'],
    type: row.type as Delivery['type'],
    cancelReason: opt(row.cancel_reason) as CancelReason | undefined,
    state: row.state as DeliveryState,
    outcome: opt(row.outcome),
    detail: opt(row.detail),
    attempts: row.attempts,
    deadline: Number(row.deadline),
    createdAt: Number(row.created_at),
    firstAttemptAt: row.first_attempt_at === null ? undefined : Number(row.first_attempt_at),
    sentAt: row.sent_at === null ? undefined : Number(row.sent_at),
    receivedAt: row.received_at === null ? undefined : Number(row.received_at),
    leaseOwner: opt(row.lease_owner),
    leaseUntil: row.lease_until === null ? undefined : Number(row.lease_until),
    nextAttemptAt: row.next_attempt_at === null ? undefined : Number(row.next_attempt_at),
    locale: opt(row.locale),
    providerId: opt(row.provider_id),
    ...(row.provider_receipt != null
      ? {
          providerReceipt: {
            kind: row.provider_receipt as ProviderReceiptKind,
            reason: row.provider_receipt_reason ?? '',
            at: Number(row.provider_receipt_at),
          },
        }
      : {}),
    acted: opt(row.acted) as Delivery['acted'],
    actedAt: row.acted_at === null ? undefined : Number(row.acted_at),
  };
}

function deliveryRow(d: Delivery): DeliveriesTable {
  return {
    id: d.id,
    call_id: d.callId,
    app_key: d.appKey,
    user_id: d.userId,
    device_id: d.deviceId,
    provider: d.provider,
    provider_type: d.providerType,
    token: d.token,
    kind: d.kind,
    environment: d.environment ?? null,
    format: d.format ?? null,
    transport: d.transport,
    type: d.type,
    cancel_reason: d.cancelReason ?? null,
    state: d.state,
    outcome: d.outcome ?? null,
    detail: d.detail ?? null,
    attempts: d.attempts,
    deadline: d.deadline,
    created_at: d.createdAt,
    first_attempt_at: d.firstAttemptAt ?? null,
    sent_at: d.sentAt ?? null,
    received_at: d.receivedAt ?? null,
    updated_at: d.createdAt,
    lease_owner: d.leaseOwner ?? null,
    lease_until: d.leaseUntil ?? null,
    next_attempt_at: d.nextAttemptAt ?? null,
    locale: d.locale ?? null,
    provider_id: d.providerId ?? null,
    provider_receipt: null,
    provider_receipt_reason: null,
    provider_receipt_at: null,
    acted: d.acted ?? null,
    acted_at: d.actedAt ?? null,
  };
}

/**
 * One delivery's change, the ring path's most frequent statement (each outcome): a field left out of the patch
 * (null here) keeps its value; a released lease clears the owner, its expiry and the next attempt time.
 * A receipt may land before the send is recorded: `received` is never downgraded.
 */
const PATCH_DELIVERY = new PreparedQuery(
  [
    'state',
    'transport',
    'outcome',
    'detail',
    'attempts',
    'firstAttemptAt',
    'sentAt',
    'receivedAt',
    'nextAttemptAt',
    'providerId',
    'release',
    'now',
    'id',
  ] as const,
  (db, p) =>
    db
      .updateTable('deliveries')
      .set({
        state: sql<string>`case when state = 'received' then 'received' else coalesce(${p.state}, state) end`,
        transport: sql<string>`coalesce(${p.transport}, transport)`,
        outcome: sql<string>`coalesce(${p.outcome}, outcome)`,
        detail: sql<string>`coalesce(${p.detail}, detail)`,
        attempts: sql<number>`coalesce(${p.attempts}, attempts)`,
        first_attempt_at: sql<number>`coalesce(${p.firstAttemptAt}, first_attempt_at)`,
        sent_at: sql<number>`coalesce(${p.sentAt}, sent_at)`,
        received_at: sql<number>`coalesce(${p.receivedAt}, received_at)`,
        next_attempt_at: sql<number>`case when ${p.release} = 1 then null else coalesce(${p.nextAttemptAt}, next_attempt_at) end`,
        provider_id: sql<string>`coalesce(${p.providerId}, provider_id)`,
        lease_owner: sql<string>`case when ${p.release} = 1 then null else lease_owner end`,
        lease_until: sql<number>`case when ${p.release} = 1 then null else lease_until end`,
        updated_at: sql<number>`${p.now}`,
      })
      .where('id', '=', p.id),
);

function callRow(call: Call, idempotency: { scope: string; key: string } | undefined) {
  return {
    id: call.id,
    app_key: call.appKey,
    caller: call.from,
    display_name: call.displayName ?? null,
    video: call.video ? 1 : 0,
    headers_json: JSON.stringify(call.headers),
    callees_json: JSON.stringify(call.callees),
    state: call.state,
    end_reason: call.endReason ?? null,
    answered_by_user: null,
    answered_by_device: null,
    idempotency_key: idempotency?.key ?? null,
    idempotency_scope: idempotency?.scope ?? null,
    test: call.test ? 1 : 0,
    created_at: call.createdAt,
    expires_at: call.expiresAt,
    updated_at: call.updatedAt,
  };
}

function patchParams(id: string, patch: DeliveryPatch, now: number) {
  return {
    state: patch.state ?? null,
    transport: patch.transport ?? null,
    outcome: patch.outcome ?? null,
    detail: patch.detail ?? null,
    attempts: patch.attempts ?? null,
    firstAttemptAt: patch.firstAttemptAt ?? null,
    sentAt: patch.sentAt ?? null,
    receivedAt: patch.receivedAt ?? null,
    nextAttemptAt: patch.nextAttemptAt ?? null,
    providerId: patch.providerId ?? null,
    release: patch.lease === 'release' ? 1 : 0,
    now,
    id,
  };
}

/** The rows of a new call and of new deliveries: every column, always (deliveryRow, callRow). */
const INSERT_CALL = new PreparedInsert('calls');
const INSERT_DELIVERIES = new PreparedInsert('deliveries');

/** A ring to this many devices at most has its delivery insert ready before the first call (`warm`). */
const WARM_DEVICES = 4;

/** Storage of calls and their deliveries. */
export class CallsRepository {
  constructor(private readonly store: Store) {}

  /**
   * Builds the ring path's statements (the call, its deliveries, an outcome) and has the database parse them,
   * before the first call needs them: otherwise that call pays about 3 ms for it. Only the shapes matter; the
   * rows given here are never written.
   */
  warm(): void {
    const { db, engine } = this.store;
    const now = Date.now();
    const call: Call = {
      id: 'warm',
      appKey: 'warm',
      from: 'warm',
      video: false,
      headers: {},
      callees: {},
      state: 'ringing',
      createdAt: now,
      expiresAt: now,
      updatedAt: now,
    };
    const delivery = deliveryRow({
      id: 'warm',
      callId: 'warm',
      appKey: 'warm',
      userId: 'warm',
      deviceId: 'warm',
      provider: 'warm',
      providerType: 'fcm',
      token: 'warm',
      kind: 'voip',
      transport: 'push',
      type: 'ring',
      state: 'pending',
      attempts: 0,
      deadline: now,
      createdAt: now,
    });
    const queries = [
      INSERT_CALL.query(db, engine, [callRow(call, undefined)]),
      PATCH_DELIVERY.query(db, engine, patchParams('warm', {}, now)),
    ];
    for (let n = 1; n <= WARM_DEVICES; n++) {
      queries.push(
        INSERT_DELIVERIES.query(
          db,
          engine,
          Array.from({ length: n }, () => delivery),
        ),
      );
    }
    this.store.prepare(queries);
  }

  /**
   * Stores a new call with its first deliveries in one transaction: accepted means durable. `also` writes what
   * must commit with it (its events). Calls placed at the same moment share the commit (group commit: one
   * WAL append for all, where each commit writes every page it touched); each resolves once it is durable.
   */
  async insertCall(
    call: Call,
    idempotency: { scope: string; key: string } | undefined,
    deliveries: Delivery[],
    also?: AlsoWrite,
  ): Promise<void> {
    const statements = [INSERT_CALL.query(this.store.db, this.store.engine, [callRow(call, idempotency)])];
    statements.push(...this.deliveryInserts(deliveries));
    const rows = [`calls:${call.id}`, ...deliveries.map((d) => `deliveries:${d.id}`)];
    return this.write(statements, rows, also);
  }

  /**
   * Runs statements that read nothing back, sharing a commit with other writes: as statements (on PostgreSQL
   * merged with others into one, `rows` naming what they change), or in a transaction when `also` must write
   * in it too.
   */
  private write(statements: CompiledQuery[], rows: string[], also?: AlsoWrite): Promise<void> {
    if (!also) return this.store.batched({ statements, rows });
    return this.store.batched(async (tx) => {
      for (const statement of statements) await tx.executeQuery(statement);
      await also(tx);
    });
  }

  /** New deliveries of a call (its cancels, its notices): they share commits like outcomes. */
  async insertDeliveries(deliveries: Delivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    await this.write(
      this.deliveryInserts(deliveries),
      deliveries.map((d) => `deliveries:${d.id}`),
    );
  }

  /** Chunked so a large group call stays under SQLite's bound-parameter limit. */
  private deliveryInserts(deliveries: Delivery[]): CompiledQuery[] {
    const statements: CompiledQuery[] = [];
    for (let i = 0; i < deliveries.length; i += 200) {
      const rows = deliveries.slice(i, i + 200).map(deliveryRow);
      statements.push(INSERT_DELIVERIES.query(this.store.db, this.store.engine, rows));
    }
    return statements;
  }

  async findCall(appKey: string, id: string): Promise<Call | undefined> {
    const row = await this.store.db
      .selectFrom('calls')
      .selectAll()
      .where('id', '=', id)
      .where('app_key', '=', appKey)
      .executeTakeFirst();
    return row && toCall(row);
  }

  async findCallById(id: string): Promise<Call | undefined> {
    const row = await this.store.db.selectFrom('calls').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toCall(row);
  }

  async findByIdempotencyKey(
    appKey: string,
    { scope, key }: { scope: string; key: string },
  ): Promise<Call | undefined> {
    const row = await this.store.db
      .selectFrom('calls')
      .selectAll()
      .where('app_key', '=', appKey)
      .where('idempotency_scope', '=', scope)
      .where('idempotency_key', '=', key)
      .executeTakeFirst();
    return row && toCall(row);
  }

  /**
   * Saves a transition if nobody changed the call since `expectedUpdatedAt` (optimistic concurrency), with
   * what `also` writes in the same transaction when it is saved.
   */
  async saveTransition(call: Call, expectedUpdatedAt: number, also?: AlsoWrite): Promise<boolean> {
    if (!also) return this.updateCall(this.store.db, call, expectedUpdatedAt);
    return this.store.db.transaction().execute(async (tx) => {
      const saved = await this.updateCall(tx, call, expectedUpdatedAt);
      if (saved) await also(tx);
      return saved;
    });
  }

  /** Marks what a device did with its ring (the funnel's last step). */
  async markActed(
    db: Kysely<Database>,
    callId: string,
    userId: string,
    deviceId: string,
    acted: 'answered' | 'declined',
    at: number,
  ): Promise<void> {
    await db
      .updateTable('deliveries')
      .set({ acted, acted_at: at })
      .where('call_id', '=', callId)
      .where('user_id', '=', userId)
      .where('device_id', '=', deviceId)
      .where('type', '=', 'ring')
      .execute();
  }

  private async updateCall(db: Kysely<Database>, call: Call, expectedUpdatedAt: number): Promise<boolean> {
    const result = await db
      .updateTable('calls')
      .set({
        state: call.state,
        callees_json: JSON.stringify(call.callees),
        end_reason: call.endReason ?? null,
        answered_by_user: call.answeredBy?.userId ?? null,
        answered_by_device: call.answeredBy?.deviceId ?? null,
        updated_at: call.updatedAt,
      })
      .where('id', '=', call.id)
      .where('updated_at', '=', expectedUpdatedAt)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async deliveriesOf(callId: string): Promise<Delivery[]> {
    const rows = await this.store.db
      .selectFrom('deliveries')
      .selectAll()
      .where('call_id', '=', callId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(toDelivery);
  }

  /**
   * Stores a change of one delivery, with what `also` writes in the same transaction (its event). Outcomes
   * come in bursts: they share commits (group commit) and each resolves once its commit is done.
   */
  updateDelivery(id: string, patch: DeliveryPatch, now: number, also?: AlsoWrite): Promise<void> {
    const statement = PATCH_DELIVERY.query(this.store.db, this.store.engine, patchParams(id, patch, now));
    return this.write([statement], [`deliveries:${id}`], also);
  }

  /**
   * Marks the ring of one device received; undefined when there is no ring delivery for it. `also` (its
   * event) is written with the first receipt only.
   */
  async markReceived(
    callId: string,
    userId: string,
    deviceId: string,
    now: number,
    also?: (ring: Delivery) => AlsoWrite | undefined,
  ): Promise<Delivery | undefined> {
    const row = await this.ringOf(callId, userId, deviceId).selectAll().executeTakeFirst();
    if (!row) return undefined;
    const received = toDelivery({ ...row, state: 'received', received_at: row.received_at ?? now });
    if (row.received_at === null) {
      const write = also?.(received);
      const mark = (db: Kysely<Database>) =>
        db
          .updateTable('deliveries')
          .set({
            state: 'received',
            received_at: now,
            updated_at: now,
            lease_owner: null,
            lease_until: null,
            next_attempt_at: null,
          })
          .where('id', '=', row.id)
          .execute();
      if (!write) await mark(this.store.db);
      else {
        await this.store.db.transaction().execute(async (tx) => {
          await mark(tx);
          await write(tx);
        });
      }
    }
    return received;
  }

  /** The latest open call of `caller` whose id starts with `idPrefix` (an integration's own calls). */
  async latestOpenCallOf(appKey: string, caller: string, idPrefix: string): Promise<string | undefined> {
    const row = await this.store.db
      .selectFrom('calls')
      .select('id')
      .where('app_key', '=', appKey)
      .where('caller', '=', caller)
      .where(sql<string>`substr(id, 1, ${idPrefix.length})`, '=', idPrefix)
      .where('state', 'in', ['ringing', 'answered'])
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
    return row?.id;
  }

  /** Calls of an app still ringing for `userId` (a device that connects mid-ring catches up on them). */
  async ringingFor(appKey: string, userId: string, now: number): Promise<Call[]> {
    const rows = await this.store.db
      .selectFrom('calls')
      .selectAll()
      .where('app_key', '=', appKey)
      .where('state', 'in', ['ringing', 'answered'])
      .where('expires_at', '>', now)
      .execute();
    return rows.map(toCall).filter((c) => isRinging(c, userId));
  }

  /**
   * Which of `userIds` are in an answered call of the app (as its caller or as a callee who answered) placed
   * after `since`: an answered call nobody ended stops counting then.
   */
  async inAnsweredCalls(appKey: string, userIds: string[], since: number): Promise<Set<string>> {
    const rows = await this.store.db
      .selectFrom('calls')
      .selectAll()
      .where('state', '=', 'answered')
      .where('expires_at', '>', since)
      .where('app_key', '=', appKey)
      .execute();
    const calls = rows.map(toCall);
    return new Set(userIds.filter((u) => calls.some((c) => c.from === u || c.callees[u] === 'answered')));
  }

  /** Calls of an app that rang some device of `userId` since `since`, newest first (catch-up on connect). */
  async recentCallsOf(appKey: string, userId: string, since: number): Promise<Call[]> {
    const rows = await this.store.db
      .selectFrom('calls')
      .selectAll()
      .where(
        'id',
        'in',
        this.store.db
          .selectFrom('deliveries')
          .select('call_id')
          .where('app_key', '=', appKey)
          .where('user_id', '=', userId)
          .where('created_at', '>', since),
      )
      .orderBy('created_at', 'desc')
      .limit(100)
      .execute();
    return rows.map(toCall);
  }

  async isReceived(deliveryId: string): Promise<boolean> {
    const row = await this.store.db
      .selectFrom('deliveries')
      .select('received_at')
      .where('id', '=', deliveryId)
      .executeTakeFirst();
    return row?.received_at != null;
  }

  /** Whether a device already has a ring delivery for a call. */
  async hasRing(callId: string, userId: string, deviceId: string): Promise<boolean> {
    return (await this.ringOf(callId, userId, deviceId).select('id').executeTakeFirst()) !== undefined;
  }

  /** The ring delivery of one device for a call (there is at most one). */
  private ringOf(callId: string, userId: string, deviceId: string) {
    return this.store.db
      .selectFrom('deliveries')
      .where('call_id', '=', callId)
      .where('user_id', '=', userId)
      .where('device_id', '=', deviceId)
      .where('type', '=', 'ring');
  }

  /** Extends the leases this node holds (it is alive and still working on those deliveries). */
  async renewLeases(owner: string, until: number): Promise<void> {
    await retryingDeadlocks(() =>
      this.store.db
        .updateTable('deliveries')
        .set({ lease_until: until })
        .where('lease_owner', '=', owner)
        .where('lease_until', 'is not', null)
        .execute(),
    );
  }

  /** Gives up this node's leases at once (a clean shutdown): another node takes them over without waiting. */
  async releaseLeases(owner: string): Promise<void> {
    await retryingDeadlocks(() =>
      this.store.db
        .updateTable('deliveries')
        .set({ lease_until: 0 })
        .where('lease_owner', '=', owner)
        .where('lease_until', 'is not', null)
        .execute(),
    );
  }

  /**
   * Takes over owed deliveries whose lease ran out (their node died) and whose deadline has not passed, at most
   * `limit`, soonest deadline first. On PostgreSQL rows another node is claiming are skipped
   * (`FOR UPDATE SKIP LOCKED`), so each delivery has one owner; SQLite has one writer.
   */
  async claimExpiredLeases(
    owner: string,
    leasedBefore: number,
    now: number,
    until: number,
    limit: number,
  ): Promise<Delivery[]> {
    const db = this.store.db;
    let expired = db
      .selectFrom('deliveries')
      .select('id')
      .where('lease_until', '<', leasedBefore)
      .where('deadline', '>', now)
      .orderBy('deadline')
      .limit(limit);
    if (this.store.engine === 'postgres') expired = expired.forUpdate().skipLocked();
    const rows = await db
      .updateTable('deliveries')
      .set({ lease_owner: owner, lease_until: until })
      .where('id', 'in', expired)
      .returningAll()
      .execute();
    return rows.map(toDelivery);
  }

  /** Owed deliveries whose deadline passed while nobody held them: a ring not sent by then is expired. */
  async expireOverdueLeases(leasedBefore: number, now: number): Promise<void> {
    const overdue = (eb: ExpressionBuilder<Database, 'deliveries'>) =>
      eb.and([eb('lease_until', '<', leasedBefore), eb('deadline', '<=', now)]);
    await retryingDeadlocks(() =>
      this.store.db
        .updateTable('deliveries')
        .set({ state: 'expired', outcome: 'expired', detail: 'deadline passed while no node held it', updated_at: now })
        .where(overdue)
        .where('state', '=', 'pending')
        .execute(),
    );
    await retryingDeadlocks(() =>
      this.store.db
        .updateTable('deliveries')
        .set({ lease_owner: null, lease_until: null, next_attempt_at: null })
        .where(overdue)
        .execute(),
    );
  }

  /** Calls still ringing although their deadline passed before `before`: their node died before timing them out. */
  async overdueCalls(before: number): Promise<Call[]> {
    const rows = await this.store.db
      .selectFrom('calls')
      .selectAll()
      .where('state', '=', 'ringing')
      .where('expires_at', '<', before)
      .limit(100)
      .execute();
    return rows.map(toCall);
  }

  /** Calls still open (ringing, or answered with callees still ringing) for timers after a restart. */
  async openCalls(now: number): Promise<Call[]> {
    const rows = await this.store.db
      .selectFrom('calls')
      .selectAll()
      .where((eb) =>
        eb.or([eb('state', '=', 'ringing'), eb.and([eb('state', '=', 'answered'), eb('expires_at', '>', now)])]),
      )
      .execute();
    return rows.map(toCall).filter((c) => c.state === 'ringing' || Object.values(c.callees).includes('ringing'));
  }
}
