import type { Store } from '#infra/store';

/** What a Kaleyra call was rung with: the event and body as received, in the format configured then. */
export interface KaleyraCallRow {
  event: string;
  payload_format: string;
  body: string;
}

/** The Kaleyra tables (`kaleyra_webhooks`, `kaleyra_events`, `kaleyra_calls`): the one place that touches them. */
export class KaleyraRepository {
  constructor(private readonly store: Store) {}

  /** Inserts or replaces an app's webhook configuration; `created` when it was new, with its creation time. */
  async putConfig(
    appKey: string,
    values: { scheme: string; payload_format: string; config_enc: string; public_json: string },
    now: number,
  ): Promise<{ created: boolean; createdAt: number }> {
    const row = { ...values, updated_at: now };
    const inserted = await this.store.db
      .insertInto('kaleyra_webhooks')
      .values({ app_key: appKey, created_at: now, ...row })
      .onConflict((oc) => oc.column('app_key').doNothing())
      .executeTakeFirst();
    const created = Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0;
    if (!created) await this.store.db.updateTable('kaleyra_webhooks').set(row).where('app_key', '=', appKey).execute();
    const stored = await this.store.db
      .selectFrom('kaleyra_webhooks')
      .select('created_at')
      .where('app_key', '=', appKey)
      .executeTakeFirstOrThrow();
    return { created, createdAt: stored.created_at };
  }

  publicConfig(appKey: string) {
    return this.store.db
      .selectFrom('kaleyra_webhooks')
      .select(['public_json', 'created_at', 'updated_at'])
      .where('app_key', '=', appKey)
      .executeTakeFirst();
  }

  async sealedConfig(appKey: string): Promise<string | undefined> {
    const row = await this.store.db
      .selectFrom('kaleyra_webhooks')
      .select('config_enc')
      .where('app_key', '=', appKey)
      .executeTakeFirst();
    return row?.config_enc;
  }

  /** The call id a webhook already handled led to (null: none), or undefined when it is new. */
  async seenEvent(appKey: string, eventKey: string): Promise<{ callId: string | null } | undefined> {
    const row = await this.store.db
      .selectFrom('kaleyra_events')
      .select('call_id')
      .where('app_key', '=', appKey)
      .where('event_key', '=', eventKey)
      .executeTakeFirst();
    return row && { callId: row.call_id };
  }

  /** Records a handled webhook; false when it was already recorded (a duplicate that got here first). */
  async recordEvent(
    appKey: string,
    e: { eventKey: string; event: string; roomId?: string; action: string; callId?: string },
    now: number,
  ): Promise<boolean> {
    const inserted = await this.store.db
      .insertInto('kaleyra_events')
      .values({
        app_key: appKey,
        event_key: e.eventKey,
        event: e.event,
        room_id: e.roomId ?? null,
        action: e.action,
        call_id: e.callId ?? null,
        received_at: now,
      })
      .onConflict((oc) => oc.columns(['app_key', 'event_key']).doNothing())
      .executeTakeFirst();
    return Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  /** Remembers what a room's call rings with; the first webhook of a room wins. */
  async recordCall(
    c: { callId: string; appKey: string; roomId: string; event: string; format: string; body: string },
    now: number,
  ): Promise<void> {
    await this.store.db
      .insertInto('kaleyra_calls')
      .values({
        call_id: c.callId,
        app_key: c.appKey,
        room_id: c.roomId,
        event: c.event,
        payload_format: c.format,
        body: c.body,
        created_at: now,
      })
      .onConflict((oc) => oc.column('call_id').doNothing())
      .execute();
  }

  findCall(callId: string): Promise<KaleyraCallRow | undefined> {
    return this.store.db
      .selectFrom('kaleyra_calls')
      .select(['event', 'payload_format', 'body'])
      .where('call_id', '=', callId)
      .executeTakeFirst();
  }
}
