import { type ExpressionBuilder, sql } from 'kysely';
import type { Database, Store } from '#infra/store';
import { toCall } from './call-rows.js';
import type { Position } from './cursor.js';
import type { Call, CallState, Delivery } from './model.js';

/** What a history page is filtered by; `since` inclusive, `until` exclusive (epoch ms of placing). */
export interface HistoryFilter {
  /** Calls this user placed or was called in. */
  userId?: string;
  state?: CallState;
  since?: number;
  until?: number;
}

/** The last ring of one device, as its user's device list shows it. */
export type RingFacts = Pick<Delivery, 'callId' | 'state' | 'transport' | 'outcome' | 'detail'> & { at: number };

/** A device's last ring and its last confirmed one. */
export interface DeviceActivity {
  lastRing?: RingFacts;
  lastReceipt?: { callId: string; at: number };
}

/** Reading the history back, and forgetting it: the list, a device's last rings, the retention sweep. */
export class HistoryRepository {
  constructor(private readonly store: Store) {}

  /**
   * Up to `limit` calls of the app after `after`, newest first with the id breaking ties: keyset pagination, so
   * a page starts right after the last call shown whatever was inserted meanwhile (new calls are newer than it).
   */
  async page(appKey: string, filter: HistoryFilter, after: Position | undefined, limit: number): Promise<Call[]> {
    let q = this.store.db.selectFrom('calls').selectAll().where('app_key', '=', appKey);
    const { userId, state, since, until } = filter;
    if (userId !== undefined) q = q.where((eb) => eb.or([eb('caller', '=', userId), this.calleeIs(eb, userId)]));
    if (state !== undefined) q = q.where('state', '=', state);
    if (since !== undefined) q = q.where('created_at', '>=', since);
    if (until !== undefined) q = q.where('created_at', '<', until);
    if (after) {
      q = q.where((eb) =>
        eb.or([
          eb('created_at', '<', after.createdAt),
          eb.and([eb('created_at', '=', after.createdAt), eb('id', '<', after.id)]),
        ]),
      );
    }
    const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    return rows.map(toCall);
  }

  /**
   * `userId` is a key of `callees_json` (what JSON.stringify wrote): `"bob":` stands there only as bob's key, a
   * user id holds no quote, and the value after a colon is a quoted state. A plain substring search, not LIKE,
   * so neither `_` in an id nor SQLite's case-blind LIKE can match another user. It also finds callees with no
   * device, who have no delivery row.
   */
  private calleeIs(eb: ExpressionBuilder<Database, 'calls'>, userId: string) {
    const find = sql.raw(this.store.engine === 'postgres' ? 'strpos' : 'instr');
    return eb(sql<number>`${find}(callees_json, ${`${JSON.stringify(userId)}:`})`, '>', 0);
  }

  /** The last ring of each device, and its last one a receipt confirmed (indexed by app, user and time). */
  async activityOf(appKey: string, userId: string, deviceIds: string[]): Promise<Map<string, DeviceActivity>> {
    const rings = (deviceId: string) =>
      this.store.db
        .selectFrom('deliveries')
        .select(['call_id', 'state', 'transport', 'outcome', 'detail', 'created_at', 'received_at'])
        .where('app_key', '=', appKey)
        .where('user_id', '=', userId)
        .where('device_id', '=', deviceId)
        .where('type', '=', 'ring')
        .orderBy('created_at', 'desc')
        .limit(1);
    const entries = await Promise.all(
      deviceIds.map(async (deviceId): Promise<[string, DeviceActivity]> => {
        const [last, received] = await Promise.all([
          rings(deviceId).executeTakeFirst(),
          rings(deviceId).where('received_at', 'is not', null).executeTakeFirst(),
        ]);
        return [
          deviceId,
          {
            ...(last && {
              lastRing: {
                callId: last.call_id,
                at: Number(last.created_at),
                state: last.state as Delivery['state'],
                transport: last.transport as Delivery['transport'],
                ...(last.outcome !== null ? { outcome: last.outcome } : {}),
                ...(last.detail !== null ? { detail: last.detail } : {}),
              },
            }),
            ...(received && { lastReceipt: { callId: received.call_id, at: Number(received.received_at) } }),
          },
        ];
      }),
    );
    return new Map(entries);
  }

  /**
   * Deletes at most `limit` calls placed before `before`, oldest first; their deliveries go with them (foreign
   * key cascade). On PostgreSQL rows another node is deleting are skipped rather than waited for.
   */
  async deleteCallsBefore(before: number, limit: number): Promise<number> {
    let old = this.store.db
      .selectFrom('calls')
      .select('id')
      .where('created_at', '<', before)
      .orderBy('created_at')
      .limit(limit);
    if (this.store.engine === 'postgres') old = old.forUpdate().skipLocked();
    const result = await this.store.db.deleteFrom('calls').where('id', 'in', old).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
