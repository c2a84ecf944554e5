import type { FastifyBaseLogger } from 'fastify';
import { createProviderClient } from '../providers/clients.js';
import type { ProvidersService } from '../providers/index.js';
import type { ProviderClient, ProviderClientOptions, PushOutcome, PushTarget } from '../push/types.js';
import type { ConnectionRouter, LiveDevices } from '../realtime/index.js';
import { messageFor } from './messages.js';
import type { RingMetrics } from './metrics.js';
import type { Call, Delivery } from './model.js';
import type { CallsRepository } from './repository.js';

export interface DispatcherOptions {
  /** Extra CA (PEM) the provider clients trust: the emulators' in the sandbox and tests. */
  providerCa?: string;
  /** Provider requests in flight per credential before new ones are shed (retried later if the deadline allows). */
  maxInflightPerCredential: number;
  now?: () => number;
  /** The app a credential belongs to, for clients that sign with its secret (HMS flow B). */
  appOf?: (appKey: string) => Promise<ProviderClientOptions['app']>;
  /**
   * The data map that replaces the v1 message of a ring, for apps on another SDK's payload format (Kaleyra),
   * or undefined. Asked per callee and attempt: a format may carry per-user material (a Kaleyra user token).
   */
  payloadFor?: (call: Call, delivery: Delivery) => Promise<Record<string, string> | undefined>;
  /** Sockets on this node and others: a device with one is rung over it first. */
  connections?: ConnectionRouter;
  /** How long a ring over a socket waits for its receipt before the device's push is sent, ms. */
  ackWindowMs?: number;
}

/** A ring sent over a socket, waiting for its receipt. */
interface AwaitingReceipt {
  call: Call;
  delivery: Delivery;
  acceptedAt: number;
  timer: NodeJS.Timeout;
}

/** Key of one device in `awaiting`. */
const deviceKey = (appKey: string, userId: string, deviceId: string) => `${appKey}\u0000${userId}\u0000${deviceId}`;

const BACKOFF_BASE_MS = 250;
const BACKOFF_MAX_MS = 4000;

/** Exponential backoff with full jitter: attempt 1 → up to 250 ms, 2 → 500 ms, … capped at 4 s. */
function backoff(attempt: number): number {
  return Math.random() * Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
}

/**
 * Sends deliveries through the provider clients, straight from the request that accepted the call (no queue
 * hop), concurrently, and records each outcome. Knows nothing of any provider beyond the client interface.
 */
export class Dispatcher {
  private readonly clients = new Map<string, Promise<ProviderClient | undefined>>();
  private readonly inflight = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** By `app/user/device`, then call id. */
  private readonly awaiting = new Map<string, Map<string, AwaitingReceipt>>();
  private readonly now: () => number;
  private closed = false;

  constructor(
    private readonly repo: CallsRepository,
    private readonly providers: ProvidersService,
    private readonly metrics: RingMetrics,
    private readonly log: FastifyBaseLogger,
    private readonly options: DispatcherOptions,
    /** Whether a callee is still to be rung (read at each retry: an answer or cancel stops retries). */
    private readonly stillRinging: (callId: string, userId: string) => Promise<boolean>,
  ) {
    this.now = options.now ?? Date.now;
    providers.onChange((appKey, name) => this.dropClient(appKey, name));
    options.connections?.onLost((c) => this.connectionLost(c.appKey, c.userId, c.deviceId));
  }

  /** Starts sending; resolves when every delivery has its first outcome (retries continue in the background). */
  async dispatch(call: Call, deliveries: Delivery[], acceptedAt: number, located?: LiveDevices): Promise<void> {
    const users = [...new Set(deliveries.map((d) => d.userId))];
    // The caller may have looked the sockets up already (placing a call does): one Redis round trip, not two.
    const live = located ?? (await this.options.connections?.locate(call.appKey, users));
    const groups = new Map<string, Delivery[]>();
    const done: Promise<void>[] = [];
    for (const d of deliveries) {
      const overSocket = this.overConnection(call, d, acceptedAt, live);
      if (overSocket) {
        done.push(overSocket);
        continue;
      }
      // One request per credential and callee: the message differs per callee, and HMS batches a group.
      const key = `${d.provider}\u0000${d.userId}\u0000${d.type}`;
      groups.set(key, [...(groups.get(key) ?? []), d]);
    }
    for (const g of groups.values()) done.push(this.attempt(call, g, acceptedAt, true));
    await Promise.all(done);
  }

  /**
   * Sends a delivery over the device's socket when it has one here, and records it; a ring then waits for its
   * receipt before the push is sent. A device known only by its socket, now gone, is not reachable: its ring
   * is recorded as such (it catches up if it reconnects while the call rings). Undefined: send by push.
   */
  private overConnection(
    call: Call,
    d: Delivery,
    acceptedAt: number,
    live: LiveDevices | undefined,
  ): Promise<void> | undefined {
    const now = this.now();
    const frame = () => JSON.stringify(messageFor(call, d, now));
    const sent = now < d.deadline && !!live?.send(d.userId, d.deviceId, frame);
    if (!sent) {
      if (d.token !== '') return undefined;
      // Sent before (taken over from a node that died): it rings again if the device reconnects in time.
      if (d.state === 'sent') return this.repo.updateDelivery(d.id, { lease: 'release' }, now);
      const detail = 'no live connection and no push token';
      const state = d.type === 'ring' ? 'failed' : 'skipped';
      return this.repo.updateDelivery(d.id, { state, detail, lease: 'release' }, now);
    }
    d.attempts += 1;
    this.metrics.outcomes.inc({ provider: 'connection', type: d.type, outcome: 'sent' });
    // A ring to a device with a push token still owes its push until the receipt: it keeps its lease.
    const fallbackOwed = d.type === 'ring' && d.token !== '';
    if (d.type === 'ring') this.metrics.ringDispatch.observe((now - acceptedAt) / 1000);
    if (fallbackOwed) this.awaitReceipt(call, d, acceptedAt);
    return this.repo.updateDelivery(
      d.id,
      {
        state: 'sent',
        transport: 'connection',
        outcome: 'sent',
        attempts: d.attempts,
        firstAttemptAt: d.firstAttemptAt ?? now,
        sentAt: now,
        detail: 'over the active connection',
        ...(fallbackOwed ? {} : { lease: 'release' as const }),
      },
      now,
    );
  }

  private awaitReceipt(call: Call, delivery: Delivery, acceptedAt: number): void {
    const device = deviceKey(delivery.appKey, delivery.userId, delivery.deviceId);
    let calls = this.awaiting.get(device);
    if (!calls) {
      calls = new Map();
      this.awaiting.set(device, calls);
    }
    clearTimeout(calls.get(call.id)?.timer);
    const timer = setTimeout(() => this.fallBack(device, call.id), this.options.ackWindowMs ?? 1500);
    calls.set(call.id, { call, delivery, acceptedAt, timer });
  }

  /** A device reported a ring: its push is not needed. */
  received(appKey: string, userId: string, deviceId: string, callId: string): void {
    this.take(deviceKey(appKey, userId, deviceId), callId);
  }

  /** Stops waiting for one ring's receipt; the entry, if it was waiting. */
  private take(device: string, callId: string): AwaitingReceipt | undefined {
    const calls = this.awaiting.get(device);
    const entry = calls?.get(callId);
    if (!calls || !entry) return undefined;
    clearTimeout(entry.timer);
    calls.delete(callId);
    if (calls.size === 0) this.awaiting.delete(device);
    return entry;
  }

  /**
   * A call changed on another node: rings of it waiting here for a receipt stop waiting if their callee no
   * longer rings (the push fallback would check anyway; this frees the lease at once).
   */
  callChanged(callId: string): void {
    for (const [device, calls] of this.awaiting) {
      const entry = calls.get(callId);
      if (!entry) continue;
      const d = entry.delivery;
      const stop = async () => {
        if (await this.stillRinging(callId, d.userId)) return;
        this.take(device, callId);
        await this.repo.updateDelivery(d.id, { lease: 'release' }, this.now());
      };
      stop().catch((err: unknown) => this.log.error({ err }, 'call change handling failed'));
    }
  }

  /** A socket went away before its rings were acknowledged: push them now rather than at the window's end. */
  private connectionLost(appKey: string, userId: string, deviceId: string): void {
    const device = deviceKey(appKey, userId, deviceId);
    for (const callId of [...(this.awaiting.get(device)?.keys() ?? [])]) this.fallBack(device, callId);
  }

  /** No receipt within the ack window: the ring goes by push, if the callee is still to be rung. */
  private fallBack(device: string, callId: string): void {
    const entry = this.take(device, callId);
    if (!entry || this.closed) return;
    const { delivery: d } = entry;
    const work = async () => {
      // Received on another node, answered or cancelled meanwhile: the ring stays recorded as sent.
      if ((await this.repo.isReceived(d.id)) || !(await this.stillRinging(callId, d.userId))) {
        await this.repo.updateDelivery(d.id, { lease: 'release' }, this.now());
        return;
      }
      d.transport = 'push';
      d.state = 'pending';
      const detail = 'no receipt over the connection';
      await this.repo.updateDelivery(d.id, { transport: 'push', state: 'pending', detail }, this.now());
      await this.attempt(entry.call, [d], entry.acceptedAt, false);
    };
    work().catch((err: unknown) => this.log.error({ err }, 'push fallback failed'));
  }

  private async attempt(call: Call, group: Delivery[], acceptedAt: number, first: boolean): Promise<void> {
    if (this.closed) return;
    const head = group[0]!;
    const now = this.now();
    if (now >= head.deadline) {
      await this.finish(group, 'expired', 'expired', 'deadline reached before sending', now);
      return;
    }
    if (!first && head.type === 'ring' && !(await this.stillRinging(call.id, head.userId))) {
      await this.finish(group, 'skipped', 'skipped', 'the call stopped ringing', now);
      return;
    }
    const client = await this.client(head.appKey, head.provider);
    if (!client) {
      await this.record(
        call,
        group,
        acceptedAt,
        now,
        group.map(() => ({ kind: 'config_error', reason: 'the provider credential no longer exists' })),
      );
      return;
    }
    let data: Record<string, string> | undefined;
    try {
      data = head.type === 'ring' ? await this.options.payloadFor?.(call, head) : undefined;
    } catch (err) {
      // Whatever the payload needs (a token from the SDK vendor) may be briefly unavailable: retry in time.
      const reason = `payload not ready: ${(err as Error).message}`;
      await this.record(
        call,
        group,
        acceptedAt,
        now,
        group.map(() => ({ kind: 'retry', reason })),
      );
      return;
    }
    const key = `${head.appKey}/${head.provider}`;
    const busy = this.inflight.get(key) ?? 0;
    if (busy + group.length > this.options.maxInflightPerCredential) {
      await this.record(
        call,
        group,
        acceptedAt,
        now,
        group.map(() => ({ kind: 'retry', reason: 'shed: too many requests in flight' })),
      );
      return;
    }
    this.inflight.set(key, busy + group.length);
    this.metrics.inflight.inc({ app: head.appKey, credential: head.provider }, group.length);
    if (head.type === 'ring' && first) {
      for (let i = 0; i < group.length; i++) this.metrics.ringDispatch.observe((this.now() - acceptedAt) / 1000);
    }
    const targets: PushTarget[] = group.map((d) => ({ deviceId: d.deviceId, token: d.token, kind: d.kind }));
    let outcomes: PushOutcome[];
    try {
      outcomes = await client.send(targets, {
        message: messageFor(call, head, now),
        deadline: head.deadline,
        collapseId: call.id,
        ...(data ? { data } : {}),
      });
    } finally {
      this.inflight.set(key, (this.inflight.get(key) ?? group.length) - group.length);
      this.metrics.inflight.dec({ app: head.appKey, credential: head.provider }, group.length);
    }
    await this.record(call, group, acceptedAt, now, outcomes);
  }

  /** Stores each outcome, prunes dead tokens, and schedules the retries the deadline allows. */
  private async record(
    call: Call,
    group: Delivery[],
    acceptedAt: number,
    startedAt: number,
    outcomes: PushOutcome[],
  ): Promise<void> {
    const now = this.now();
    const retries: Delivery[] = [];
    let retryDelay = 0;
    await Promise.all(
      group.map(async (d, i) => {
        const outcome: PushOutcome = outcomes[i] ?? { kind: 'retry', reason: 'no outcome from the provider client' };
        d.attempts += 1;
        this.metrics.outcomes.inc({ provider: d.providerType, type: d.type, outcome: outcome.kind });
        const firstAttemptAt = d.firstAttemptAt ?? startedAt;
        d.firstAttemptAt = firstAttemptAt;
        const base = { attempts: d.attempts, firstAttemptAt, outcome: outcome.kind };
        // Every outcome but a retry ends the delivery: nobody owes it anything more.
        const done = { ...base, lease: 'release' as const };
        switch (outcome.kind) {
          case 'sent':
            await this.repo.updateDelivery(
              d.id,
              { ...done, state: 'sent', sentAt: now, detail: outcome.providerId ?? '' },
              now,
            );
            return;
          case 'retry': {
            const wait = outcome.retryAfterMs ?? backoff(d.attempts);
            if (now + wait >= d.deadline) {
              await this.repo.updateDelivery(
                d.id,
                { ...done, state: 'expired', detail: `next retry past the deadline (${outcome.reason})` },
                now,
              );
              return;
            }
            retryDelay = Math.max(retryDelay, wait);
            retries.push(d);
            await this.repo.updateDelivery(d.id, { ...base, state: 'pending', detail: outcome.reason }, now);
            return;
          }
          case 'token_gone': {
            const pruned = await this.repo.pruneDevice(d, startedAt);
            await this.repo.updateDelivery(
              d.id,
              { ...done, state: 'failed', detail: `${outcome.reason}${pruned ? '; device removed' : ''}` },
              now,
            );
            return;
          }
          case 'config_error':
            this.log.warn(
              { app: d.appKey, provider: d.provider, reason: outcome.reason },
              'provider configuration error',
            );
            await this.repo.updateDelivery(d.id, { ...done, state: 'failed', detail: outcome.reason }, now);
            return;
          case 'skipped':
            await this.repo.updateDelivery(d.id, { ...done, state: 'skipped', detail: outcome.reason }, now);
            return;
        }
      }),
    );
    if (retries.length > 0) this.later(retryDelay, () => this.attempt(call, retries, acceptedAt, false));
  }

  private async finish(
    group: Delivery[],
    state: 'expired' | 'skipped',
    outcome: string,
    detail: string,
    now: number,
  ): Promise<void> {
    await Promise.all(
      group.map((d) => this.repo.updateDelivery(d.id, { state, outcome, detail, lease: 'release' }, now)),
    );
  }

  private later(ms: number, fn: () => Promise<void>): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn().catch((err: unknown) => this.log.error({ err }, 'delivery retry failed'));
    }, ms);
    this.timers.add(timer);
  }

  private client(appKey: string, name: string): Promise<ProviderClient | undefined> {
    const key = `${appKey}/${name}`;
    let client = this.clients.get(key);
    if (!client) {
      client = Promise.all([this.providers.secretCredential(appKey, name), this.options.appOf?.(appKey)]).then(
        ([credential, app]) =>
          credential
            ? createProviderClient(credential, {
                ...(this.options.providerCa ? { ca: this.options.providerCa } : {}),
                ...(app ? { app } : {}),
                now: this.now,
                onResponse: (seconds, status) =>
                  this.metrics.providerResponse.observe({ provider: credential.type, status: String(status) }, seconds),
              })
            : undefined,
      );
      // A failed lookup is not cached: the next delivery tries again.
      client.catch(() => this.clients.delete(key));
      this.clients.set(key, client);
    }
    return client;
  }

  /** Drops every provider client: change events may have been missed (Redis was away), so rebuild from the store. */
  dropAllClients(): void {
    const clients = [...this.clients.values()];
    this.clients.clear();
    for (const client of clients) void client.then((c) => c?.close()).catch(() => undefined);
  }

  private dropClient(appKey: string, name: string): void {
    const key = `${appKey}/${name}`;
    const client = this.clients.get(key);
    this.clients.delete(key);
    void client?.then((c) => c?.close()).catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const calls of this.awaiting.values()) for (const entry of calls.values()) clearTimeout(entry.timer);
    this.awaiting.clear();
    const clients = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(clients.map((c) => c.then((x) => x?.close()).catch(() => undefined)));
  }
}
