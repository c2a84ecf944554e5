import type { FastifyBaseLogger } from 'fastify';
import type { Registry } from 'prom-client';
import type { Store } from '#infra/store';
import { type Clock, newId, systemClock } from '#kernel';
import { type EventEndpoint, signingSecrets, subscribes } from './endpoint.js';
import type { EventEndpoints } from './endpoints-service.js';
import type { EventType } from './event-types.js';
import { type DeliveryOutcome, EventMetrics } from './metrics.js';
import { type OutboxPatch, OutboxRepository, type OutboxRow } from './outbox-repository.js';
import { DEFAULT_RETRY, nextAttemptAt, type RetryPolicy } from './retry.js';
import type { AttemptResult, WebhookSender } from './sender.js';

export interface DelivererDeps {
  store: Store;
  endpoints: Pick<EventEndpoints, 'endpointsOf' | 'disable'>;
  sender: Pick<WebhookSender, 'send'>;
  metrics: Registry;
  log: FastifyBaseLogger;
  now?: Clock;
  random?: () => number;
}

export interface DelivererSettings {
  /** This node's id, written on the events it sends. */
  owner: string;
  /** How long a lease lasts without renewal: how long a dead node's events wait for another node. */
  leaseMs: number;
  /** No other node can exist (the embedded database): at start every lease is a previous run's. */
  alone?: boolean;
  /** How long an event is retried (CALLPUSH_EVENT_RETRY_HOURS), and how. */
  retry?: Partial<RetryPolicy>;
  /** Events in flight at once on this node, each of another subject. */
  maxInFlight?: number;
  /** How often an idle node looks for due events (retries, and events other nodes wrote). */
  pollMs?: number;
  /** How long a stop waits for requests under way before leaving them to the next node. */
  closeWaitMs?: number;
}

/** Events claimed per pass at most. */
const CLAIM_BATCH = 100;

/**
 * Sends the outbox, one per node: claims due events with a lease (a dead node's are taken over when it runs
 * out), at least once, in order per subject (only the first pending event of a subject is ever claimed), a
 * bounded number at a time, retrying failures with backoff for a bounded time. A 410 disables the endpoint.
 */
export class EventDeliverer {
  private readonly repo: OutboxRepository;
  private readonly metrics: EventMetrics;
  private readonly now: Clock;
  private readonly random: () => number;
  private readonly retry: RetryPolicy;
  private readonly inFlight = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopping = false;
  private takeOver: boolean;

  constructor(
    private readonly deps: DelivererDeps,
    private readonly settings: DelivererSettings,
  ) {
    this.repo = new OutboxRepository(deps.store);
    this.metrics = new EventMetrics(deps.metrics, () => this.repo.pendingCount());
    this.now = deps.now ?? systemClock;
    this.random = deps.random ?? Math.random;
    this.retry = { ...DEFAULT_RETRY, ...settings.retry };
    this.takeOver = settings.alone === true;
  }

  /** Starts polling; the first pass runs now. */
  start(): Promise<void> {
    this.timer = setInterval(() => this.nudge(), this.settings.pollMs ?? 1000);
    this.timer.unref();
    this.nudge();
    return this.running ?? Promise.resolve();
  }

  /** Looks for due events now (events were written, or one was settled and its subject's next may go). */
  nudge(): void {
    if (this.stopping) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.claim()
      .catch((err: unknown) => this.deps.log.error({ err }, 'event delivery pass failed'))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.nudge();
        }
      });
  }

  /** Stops claiming, gives requests under way `closeWaitMs`, then hands this node's leases over. */
  async close(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.running;
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.settings.closeWaitMs ?? 1000);
    });
    await Promise.race([Promise.allSettled(this.inFlight.values()), waited]);
    clearTimeout(timer);
    await this.repo.release(this.settings.owner);
  }

  /** One pass (never two at once): renews this node's leases, then claims what there is room for. */
  private async claim(): Promise<void> {
    const { owner, leaseMs } = this.settings;
    const now = this.now();
    // The first pass of a lone node takes over every lease: they are a previous run's.
    const all = this.takeOver;
    this.takeOver = false;
    const until = now + leaseMs;
    await this.repo.renew(owner, [...this.inFlight.keys()], until);
    const room = Math.min(CLAIM_BATCH, (this.settings.maxInFlight ?? 16) - this.inFlight.size);
    if (room <= 0) return;
    const claimed = await this.repo.claim(owner, now, all ? Number.MAX_SAFE_INTEGER : now, until, room);
    if (claimed.length === 0) return;
    const endpoints = await this.deps.endpoints.endpointsOf([...new Set(claimed.map((e) => e.app_key))]);
    for (const event of claimed) {
      const job = this.deliver(event, endpoints.get(event.app_key))
        .catch((err: unknown) => {
          // A stop may close the database under a request that was still out: the next node sends it again.
          if (!this.stopping) this.deps.log.error({ err, eventId: event.id }, 'event delivery failed');
        })
        .finally(() => {
          this.inFlight.delete(event.id);
          this.nudge();
        });
      this.inFlight.set(event.id, job);
    }
  }

  private async deliver(event: OutboxRow, endpoint: EventEndpoint | undefined): Promise<void> {
    const { owner } = this.settings;
    // Gone, disabled since, or no longer wanting the type: nothing more is owed.
    if (!endpoint || endpoint.disabled || !subscribes(endpoint.events, event.type as EventType)) {
      await this.repo.drop(event.id, owner);
      return;
    }
    const message = { id: event.id, body: event.payload_json };
    const result = await this.deps.sender.send(endpoint.url, signingSecrets(endpoint, this.now()), message);
    const at = this.now();
    const attempts = event.attempts + 1;
    const { outcome, patch } = this.settle(event, result, attempts, at);
    await this.repo.settle(event.id, owner, patch, {
      id: newId('att'),
      app_key: event.app_key,
      event_id: event.id,
      type: event.type,
      url: endpoint.url,
      attempt: attempts,
      status: result.status ?? null,
      error: result.error ?? null,
      latency_ms: result.latencyMs,
      at,
    });
    this.metrics.deliveries.inc({ outcome });
    this.metrics.latency.observe(result.latencyMs / 1000);
    if (outcome === 'gone' && (await this.deps.endpoints.disable(event.app_key, endpoint.url, 'gone'))) {
      this.deps.log.info({ appKey: event.app_key }, 'event endpoint answered 410 Gone: disabled');
    } else if (outcome === 'failed') {
      this.deps.log.warn({ appKey: event.app_key, eventId: event.id, attempts }, 'event given up');
    }
  }

  private settle(
    event: OutboxRow,
    result: AttemptResult,
    attempts: number,
    at: number,
  ): { outcome: DeliveryOutcome; patch: OutboxPatch } {
    const base = { attempts, last_status: result.status ?? null, last_error: result.error ?? null };
    if (result.outcome === 'delivered') {
      return { outcome: 'delivered', patch: { ...base, state: 'delivered', delivered_at: at, next_attempt_at: null } };
    }
    if (result.outcome === 'gone') {
      return { outcome: 'gone', patch: { ...base, state: 'dropped', delivered_at: null, next_attempt_at: null } };
    }
    const next = nextAttemptAt(this.retry, Number(event.created_at), attempts, at, result.retryAfterMs, this.random);
    return next === undefined
      ? { outcome: 'failed', patch: { ...base, state: 'failed', delivered_at: null, next_attempt_at: null } }
      : { outcome: 'retry', patch: { ...base, state: 'pending', delivered_at: null, next_attempt_at: next } };
  }
}
