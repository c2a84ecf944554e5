import type { SecretBox } from '#infra/crypto';
import type { Store } from '#infra/store';
import { type Clock, newId, systemClock } from '#kernel';
import { checkUrl } from '#providers';
import {
  type EventEndpoint,
  type EventEndpointView,
  endpointView,
  newSigningSecret,
  signingSecrets,
  subscribes,
} from './endpoint.js';
import { type EndpointRow, EndpointsRepository, type SubscriptionRow } from './endpoints-repository.js';
import { EVENT_TYPES, type EventType } from './event-types.js';
import { LoadCache } from './load-cache.js';
import { type AttemptRow, OutboxRepository } from './outbox-repository.js';
import type { WebhookSender } from './sender.js';
import { eventBody } from './signature.js';

/** How long a node keeps what an app's endpoint wants; bounds how long a change elsewhere goes unheard of. */
const CACHE_MS = 10_000;

export interface EndpointInput {
  url: string;
  /** The types to send; left out: every type. */
  events?: EventType[] | undefined;
  /** A new signing secret; the old one stays valid, and signs too, for the overlap. */
  rotateSecret?: boolean | undefined;
}

export interface PutEndpointResult {
  view: EventEndpointView;
  created: boolean;
  /** Shown once: when the endpoint is created or its secret rotated. */
  signingSecret?: string;
}

/** One attempt as `GET .../webhooks/events/deliveries` and the test route show it. */
export interface AttemptView {
  eventId: string;
  type: string;
  url: string;
  attempt: number;
  status: number | null;
  error: string | null;
  latencyMs: number;
  at: number;
}

export interface EventEndpointsDeps {
  store: Store;
  box: SecretBox;
  sender: WebhookSender;
  now?: Clock;
}

export interface EventEndpointsSettings {
  /** The operator's CALLPUSH_ALLOW_PRIVATE_ENDPOINTS: an endpoint may then be plain http or private. */
  allowPrivateEndpoints: boolean;
  /** How long a rotated-out secret stays valid and keeps signing (CALLPUSH_EVENT_SECRET_OVERLAP_SECONDS). */
  secretOverlapMs: number;
}

const toAttemptView = (row: AttemptRow): AttemptView => ({
  eventId: row.event_id,
  type: row.type,
  url: row.url,
  attempt: row.attempt,
  status: row.status,
  error: row.error,
  latencyMs: row.latency_ms,
  at: Number(row.at),
});

const parseEvents = (json: string | null): EventType[] | undefined =>
  json === null ? undefined : (JSON.parse(json) as EventType[]);

/**
 * Each app's event endpoint: where it is, what it wants, its signing secrets (sealed at rest, shown once).
 * What an endpoint wants is asked by every change that could report an event, so each node keeps it for
 * CACHE_MS; a change here is heard by `onChange` listeners (other nodes then `forget` the app).
 */
export class EventEndpoints {
  private readonly endpoints: EndpointsRepository;
  private readonly outbox: OutboxRepository;
  private readonly now: Clock;
  private readonly subscriptions: LoadCache<SubscriptionRow | undefined>;
  private readonly changeListeners: Array<(appKey: string) => void> = [];

  constructor(
    private readonly deps: EventEndpointsDeps,
    private readonly settings: EventEndpointsSettings,
  ) {
    this.endpoints = new EndpointsRepository(deps.store);
    this.outbox = new OutboxRepository(deps.store);
    this.now = deps.now ?? systemClock;
    this.subscriptions = new LoadCache(CACHE_MS, this.now);
  }

  /** Creates or replaces the app's endpoint (InvalidInput naming `url` when the endpoint policy refuses it). */
  async put(appKey: string, input: EndpointInput): Promise<PutEndpointResult> {
    await checkUrl(input.url, 'url', { allowPrivateEndpoints: this.settings.allowPrivateEndpoints });
    const now = this.now();
    const events = input.events && EVENT_TYPES.filter((t) => input.events?.includes(t));
    let signingSecret: string | undefined;
    let row: EndpointRow | undefined;
    const created = await this.endpoints.put(appKey, (current) => {
      const secrets = this.secretColumns(current, input.rotateSecret === true, now);
      signingSecret = secrets.fresh;
      row = {
        app_key: appKey,
        url: input.url,
        events_json: events ? JSON.stringify(events) : null,
        ...secrets.columns,
        // A PUT is the owner saying the endpoint works again.
        disabled_at: null,
        disabled_reason: null,
        created_at: current?.created_at ?? now,
        updated_at: now,
      };
      return row;
    });
    this.changed(appKey);
    const view = endpointView(this.open(row!), now);
    return { view, created, ...(signingSecret ? { signingSecret } : {}) };
  }

  async get(appKey: string): Promise<EventEndpointView | undefined> {
    const row = await this.endpoints.find(appKey);
    return row && endpointView(this.open(row), this.now());
  }

  /** Removes the endpoint; what was still owed to it is dropped. False when there was none. */
  async remove(appKey: string): Promise<boolean> {
    const removed = await this.endpoints.remove(appKey);
    if (removed) this.changed(appKey);
    return removed;
  }

  /**
   * Sends a signed `test` event to the endpoint now, outside the outbox (disabled or not: it tells whether the
   * endpoint works before it is PUT again); undefined when the app has none.
   */
  async test(appKey: string): Promise<AttemptView | undefined> {
    const row = await this.endpoints.find(appKey);
    if (!row) return undefined;
    const endpoint = this.open(row);
    const now = this.now();
    const message = { id: newId('evt'), body: eventBody('test', now, {}) };
    const result = await this.deps.sender.send(endpoint.url, signingSecrets(endpoint, now), message);
    const attempt: AttemptRow = {
      id: newId('att'),
      app_key: appKey,
      event_id: message.id,
      type: 'test',
      url: endpoint.url,
      attempt: 1,
      status: result.status ?? null,
      error: result.error ?? null,
      latency_ms: result.latencyMs,
      at: now,
    };
    await this.outbox.record(attempt);
    return toAttemptView(attempt);
  }

  /** The app's latest attempts, newest first. */
  async attempts(appKey: string, limit: number): Promise<AttemptView[]> {
    return (await this.outbox.attempts(appKey, limit)).map(toAttemptView);
  }

  /** Whether the app has an enabled endpoint that wants `type`: asked before an event is written. */
  async wants(appKey: string, type: EventType): Promise<boolean> {
    const row = await this.subscriptions.get(appKey, () => this.endpoints.subscription(appKey));
    return row !== undefined && row.disabled_at === null && subscribes(parseEvents(row.events_json), type);
  }

  /** The endpoints of `appKeys` with their secrets, read now: what the deliverer sends with. */
  async endpointsOf(appKeys: string[]): Promise<Map<string, EventEndpoint>> {
    const rows = await this.endpoints.findMany(appKeys);
    return new Map(rows.map((row) => [row.app_key, this.open(row)]));
  }

  /** Disables the endpoint that answered `url` with `reason` (410), unless it was PUT elsewhere since. */
  async disable(appKey: string, url: string, reason: string): Promise<boolean> {
    const disabled = await this.endpoints.disable(appKey, url, reason, this.now());
    if (disabled) this.changed(appKey);
    return disabled;
  }

  /** Calls `listener` after an app's endpoint changes on this node. */
  onChange(listener: (appKey: string) => void): void {
    this.changeListeners.push(listener);
  }

  /** Drops what this node keeps of an app's endpoint (it changed on another node), or of all apps. */
  forget(appKey?: string): void {
    this.subscriptions.delete(appKey);
  }

  private changed(appKey: string): void {
    this.subscriptions.delete(appKey);
    for (const listener of this.changeListeners) listener(appKey);
  }

  /** The secret columns after a PUT: kept, or a fresh secret with the old one valid for the overlap. */
  private secretColumns(
    current: EndpointRow | undefined,
    rotate: boolean,
    now: number,
  ): { columns: Pick<EndpointRow, 'secret_enc' | 'previous_secret_enc' | 'previous_until'>; fresh?: string } {
    if (current && !rotate) {
      const { secret_enc, previous_secret_enc, previous_until } = current;
      return { columns: { secret_enc, previous_secret_enc, previous_until } };
    }
    const fresh = newSigningSecret();
    const overlap = current !== undefined && this.settings.secretOverlapMs > 0;
    return {
      fresh,
      columns: {
        secret_enc: this.deps.box.seal(fresh),
        previous_secret_enc: overlap ? current.secret_enc : null,
        previous_until: overlap ? now + this.settings.secretOverlapMs : null,
      },
    };
  }

  private open(row: EndpointRow): EventEndpoint {
    const { box } = this.deps;
    return {
      appKey: row.app_key,
      url: row.url,
      events: parseEvents(row.events_json),
      secret: box.open(row.secret_enc),
      previous:
        row.previous_secret_enc !== null && row.previous_until !== null
          ? { secret: box.open(row.previous_secret_enc), until: Number(row.previous_until) }
          : undefined,
      disabled:
        row.disabled_at !== null ? { at: Number(row.disabled_at), reason: row.disabled_reason ?? '' } : undefined,
      createdAt: Number(row.created_at),
      updatedAt: Number(row.updated_at),
    };
  }
}
