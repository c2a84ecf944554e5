import type { Call, CallsService, Delivery } from '../calls/index.js';
import { ApiError, notFound } from '../http/errors.js';
import { HttpClient } from '../push/http-client.js';
import type { Store } from '../store/index.js';
import type { KaleyraConfigStore, PayloadFormat } from './kaleyra-config.js';
import { actionOf, callIdOf, KALEYRA_CALL_PREFIX, type KaleyraAction, parseWebhook } from './kaleyra-events.js';
import { kaleyraData, kaleyraHybridData } from './kaleyra-payload.js';
import { verifyWebhook } from './kaleyra-signature.js';
import { KaleyraUserTokens } from './kaleyra-tokens.js';

export interface IntakeResult {
  event: string;
  /** rang | cancelled | ignored, or duplicate for a webhook already handled. */
  action: string;
  callId?: string;
}

/**
 * Kaleyra webhook intake (verify, de-duplicate, map to the calls API) and the Kaleyra payload formats the
 * dispatcher asks for at send time. Calls go through `CallsService` like any other: one ring path.
 */
export class KaleyraService {
  private readonly tokens = new Map<string, Promise<KaleyraUserTokens>>();
  private readonly http: HttpClient;
  private readonly now: () => number;

  constructor(
    private readonly store: Store,
    private readonly configs: KaleyraConfigStore,
    private readonly calls: CallsService,
    /** `ca`: extra CA (PEM) for the Kaleyra credentials endpoint, as for the providers. */
    options: { ca?: string; now?: () => number } = {},
  ) {
    this.now = options.now ?? Date.now;
    this.http = new HttpClient(options.ca);
    configs.onChange((appKey) => this.tokens.delete(appKey));
  }

  /**
   * Handles one webhook: the signature is checked over `raw` before anything is parsed. A ring over the call
   * rate limits is refused with 429 before it is recorded, so the platform's retry gets another chance.
   */
  async intake(
    appKey: string,
    raw: Buffer,
    headers: Record<string, string | string[] | undefined>,
  ): Promise<IntakeResult> {
    const config = await this.configs.load(appKey);
    // Same answer as a bad signature: an unconfigured app and a wrong secret look alike to a prober.
    if (!config) throw new ApiError(401, 'invalid_webhook_signature', 'no Kaleyra webhook is configured for this app');
    const eventKey = verifyWebhook(config, raw, headers, this.now());
    const { event, body } = parseWebhook(raw);
    const seen = await this.store.db
      .selectFrom('kaleyra_events')
      .select('call_id')
      .where('app_key', '=', appKey)
      .where('event_key', '=', eventKey)
      .executeTakeFirst();
    if (seen) return { event, action: 'duplicate', ...(seen.call_id ? { callId: seen.call_id } : {}) };
    const action = actionOf(event, body);
    const done = await this.act(appKey, action, event, raw, config.payloadFormat);
    // Recorded after acting: a crash in between lets the platform's retry act again, and acting is idempotent
    // (the call id and idempotency key come from the room), so the retry cannot ring twice either.
    await this.store.db
      .insertInto('kaleyra_events')
      .values({
        app_key: appKey,
        event_key: eventKey,
        event,
        room_id: action.roomId ?? null,
        action: done.action,
        call_id: done.callId ?? null,
        received_at: this.now(),
      })
      .onConflict((oc) => oc.columns(['app_key', 'event_key']).doNothing())
      .execute();
    return { event, ...done };
  }

  private async act(
    appKey: string,
    action: KaleyraAction,
    event: string,
    raw: Buffer,
    format: PayloadFormat,
  ): Promise<Omit<IntakeResult, 'event'>> {
    if (action.kind === 'ignore') return { action: 'ignored' };
    if (action.kind === 'ring') {
      const id = callIdOf(appKey, action.roomId);
      await this.store.db
        .insertInto('kaleyra_calls')
        .values({
          call_id: id,
          app_key: appKey,
          room_id: action.roomId,
          event,
          payload_format: format,
          body: raw.toString('utf8'),
          created_at: this.now(),
        })
        .onConflict((oc) => oc.column('call_id').doNothing())
        .execute();
      const placed = await this.calls.place(appKey, { ...action.call, id }, `kaleyra:${action.roomId}`);
      return { action: placed.replayed ? 'duplicate' : 'rang', callId: placed.call.id };
    }
    const callId = action.roomId ? callIdOf(appKey, action.roomId) : await this.ringingCallOf(appKey, action.caller);
    if (!callId) return { action: 'ignored' };
    for (const callEvent of action.events) {
      try {
        await this.calls.apply(appKey, callId, callEvent);
        return { action: 'cancelled', callId };
      } catch (err) {
        // Not this event's state (a cancel for an answered call), already over, or a room callpush never rang.
        const code = (err as ApiError).code;
        if (code !== 'invalid_transition' && code !== 'call_not_found') throw err;
      }
    }
    return { action: 'ignored', callId };
  }

  /** The latest Kaleyra call of `caller` still ringing, for events that name no room. */
  private async ringingCallOf(appKey: string, caller: string | undefined): Promise<string | undefined> {
    if (!caller) return undefined;
    const row = await this.store.db
      .selectFrom('calls')
      .innerJoin('kaleyra_calls', 'kaleyra_calls.call_id', 'calls.id')
      .select('calls.id')
      .where('calls.app_key', '=', appKey)
      .where('calls.caller', '=', caller)
      .where('calls.state', 'in', ['ringing', 'answered'])
      .orderBy('calls.created_at', 'desc')
      .executeTakeFirst();
    return row?.id;
  }

  /**
   * For the dispatcher: the data map of a ring in the app's Kaleyra format, or undefined for the v1 message.
   * The format is the one configured when the webhook arrived, so a resumed ring looks like the first.
   */
  async payloadFor(call: Call, delivery: Delivery): Promise<Record<string, string> | undefined> {
    // Keeps the ring path of every other call free of this lookup.
    if (!call.id.startsWith(KALEYRA_CALL_PREFIX)) return undefined;
    const row = await this.store.db
      .selectFrom('kaleyra_calls')
      .select(['event', 'payload_format', 'body'])
      .where('call_id', '=', call.id)
      .executeTakeFirst();
    if (!row || row.payload_format === 'callpush') return undefined;
    if (row.payload_format === 'kaleyra') return kaleyraData(row.event, row.body);
    return kaleyraHybridData(row.body, await (await this.userTokens(call.appKey)).tokenFor(delivery.userId));
  }

  /** One token client per app, shared by concurrent sends (a promise, so they never build two). */
  private userTokens(appKey: string): Promise<KaleyraUserTokens> {
    let tokens = this.tokens.get(appKey);
    if (!tokens) {
      tokens = this.configs.load(appKey).then((config) => {
        if (!config?.credentials) throw notFound('kaleyra_credentials_missing', 'no Kaleyra credentials configured');
        return new KaleyraUserTokens(config.credentials, this.http, this.now);
      });
      // A failed lookup is not cached: the next send tries again.
      tokens.catch(() => this.tokens.delete(appKey));
      this.tokens.set(appKey, tokens);
    }
    return tokens;
  }

  close(): void {
    this.http.close();
  }
}
