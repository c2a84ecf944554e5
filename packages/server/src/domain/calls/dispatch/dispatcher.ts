import type { FastifyBaseLogger } from 'fastify';
import type { DevicesService } from '#domain/devices';
import type { EventRecord } from '#domain/events';
import type { ConnectionRouter, LiveDevices } from '#domain/realtime';
import { type Clock, groupBy } from '#kernel';
import type { ProviderClientPool, ProvidersService, PushOutcome } from '#providers';
import { backgroundFailed } from '../background-failure.js';
import { deliveryEvents, type EventLog, misconfiguredEvent, prunedEvent } from '../call-events.js';
import type { RingMetrics } from '../metrics.js';
import { type Call, type Delivery, type DeliveryPatch, patched } from '../model.js';
import type { TextSource } from '../notification-text.js';
import type { CallsRepository } from '../repository.js';
import { PRUNE_GUARD_SETTINGS, PruneGuard } from './prune-guard.js';
import { beforeDeadline, type PreSendCheck, pushOnce, type RingPayloads } from './push-attempt.js';
import { settle } from './settle.js';
import { SocketFirst } from './socket-first.js';
import { stillRinging } from './still-ringing.js';

export interface DispatcherDeps {
  repo: CallsRepository;
  /** Devices whose token a provider declared dead are pruned there, past the prune guard (prune-guard.ts). */
  devices: Pick<DevicesService, 'prune' | 'countForCredential'>;
  clients: Pick<ProviderClientPool, 'get' | 'admit'>;
  /** A replaced or deleted credential loses what it proved to the prune guard. */
  providers: Pick<ProvidersService, 'onChange'>;
  /** Another SDK's payload format for rings (Kaleyra); the v1 message without it. */
  payloads?: RingPayloads;
  /** The app's notification texts, in each device's language. */
  texts: TextSource;
  /** Events for the app's backend: each delivery outcome, pruned devices, misconfigured credentials. */
  events: EventLog;
  /** Sockets on this node and others: a device with one is rung over it first. */
  connections: ConnectionRouter;
  metrics: RingMetrics;
  log: FastifyBaseLogger;
  now: Clock;
}

export interface DispatcherSettings {
  /** How long a ring over a socket waits for its receipt before the device's push is sent, ms. */
  ackWindowMs: number;
}

const NO_OUTCOME: PushOutcome = { kind: 'retry', reason: 'no outcome from the provider client' };

/** A misconfigured credential is reported to the app's backend at most this often per node. */
const MISCONFIGURED_EVENT_EVERY_MS = 10 * 60_000;

/**
 * One request per credential, callee, message type and language: the message differs per callee and its text
 * per language, and HMS batches a group.
 */
const pushGroupKey = (d: Delivery) => `${d.provider}\u0000${d.userId}\u0000${d.type}\u0000${d.locale ?? ''}`;

/** A retried ring goes only while its callee is still to be rung; cancels and missed notices always go. */
const stillToRing =
  (repo: CallsRepository): PreSendCheck =>
  async (call, group, now) => {
    const early = await beforeDeadline(call, group, now);
    if (early || group[0]!.type !== 'ring' || (await stillRinging(repo, call.id, group[0]!.userId))) return early;
    return { state: 'skipped', outcome: 'skipped', detail: 'the call stopped ringing', lease: 'release' };
  };

/**
 * Sends a call's deliveries, straight from the request that accepted the call (no queue hop), all at once:
 * over a live socket first (socket-first.ts), else by push, one request per credential and callee
 * (push-attempt.ts); records each outcome (settle.ts) and schedules the retries the deadline allows.
 * Knows nothing of any provider beyond the client interface. Works on copies: the deliveries it is handed
 * (which the caller may be showing in its answer) are never changed.
 */
export class Dispatcher {
  private readonly sockets: SocketFirst;
  private readonly retryCheck: PreSendCheck;
  private readonly prunes: PruneGuard;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** When each credential (`app/name`) was last reported misconfigured. */
  private readonly misconfiguredAt = new Map<string, number>();
  private closed = false;

  constructor(
    private readonly deps: DispatcherDeps,
    settings: DispatcherSettings,
  ) {
    this.retryCheck = stillToRing(deps.repo);
    this.prunes = new PruneGuard(deps, PRUNE_GUARD_SETTINGS);
    deps.providers.onChange((appKey, name) => this.prunes.forget(appKey, name));
    this.sockets = new SocketFirst(
      { ...deps, pushInstead: (call, delivery) => this.push(call, [delivery], beforeDeadline) },
      settings,
    );
  }

  /** Starts sending; resolves when every delivery has its first outcome (retries continue in the background). */
  async dispatch(call: Call, deliveries: Delivery[], acceptedAt: number, located?: LiveDevices): Promise<void> {
    const users = [...new Set(deliveries.map((d) => d.userId))];
    // The caller may have looked the sockets up already (placing a call does): one Redis round trip, not two.
    const live = located ?? (await this.deps.connections.locate(call.appKey, users));
    const byPush: Delivery[] = [];
    const done: Promise<void>[] = [];
    for (const d of deliveries) {
      const overSocket = this.sockets.send(call, d, acceptedAt, live);
      if (overSocket) done.push(overSocket);
      else byPush.push(d);
    }
    for (const group of groupBy(byPush, pushGroupKey).values()) {
      // The ring-dispatch time of a first push: accepted to request written, per ring delivery.
      const measure =
        group[0]!.type === 'ring'
          ? () => {
              for (const _ of group) this.deps.metrics.ringDispatch.observe((this.deps.now() - acceptedAt) / 1000);
            }
          : undefined;
      done.push(this.push(call, group, beforeDeadline, measure));
    }
    await Promise.all(done);
  }

  /**
   * Sends deliveries this node took over from a node that stopped: each at the next attempt time stored with it
   * (a provider's Retry-After outlives the node that heard it), the rest at once.
   */
  async resume(call: Call, deliveries: Delivery[], acceptedAt: number): Promise<void> {
    const now = this.deps.now();
    const waits = (d: Delivery) => d.nextAttemptAt !== undefined && d.nextAttemptAt > now;
    const waiting = groupBy(deliveries.filter(waits), (d) => `${pushGroupKey(d)}\u0000${d.nextAttemptAt}`);
    for (const group of waiting.values()) {
      this.later(group[0]!.nextAttemptAt! - now, () => this.push(call, group, this.retryCheck));
    }
    const due = deliveries.filter((d) => !waits(d));
    if (due.length > 0) await this.dispatch(call, due, acceptedAt);
  }

  /** A device reported a ring: a push still owed for it is not needed. */
  received(appKey: string, userId: string, deviceId: string, callId: string): void {
    this.sockets.received(appKey, userId, deviceId, callId);
  }

  /** A call changed on another node: rings of it waiting here for a receipt look again. */
  callChanged(callId: string): void {
    this.sockets.callChanged(callId);
  }

  /** One push of a group, unless `check` says it must not go; then its outcomes are recorded. */
  private async push(call: Call, group: Delivery[], check: PreSendCheck, onWrite?: () => void): Promise<void> {
    if (this.closed) return;
    const startedAt = this.deps.now();
    const stop = await check(call, group, startedAt);
    if (stop) {
      await Promise.all(group.map((d) => this.store(d, stop, startedAt)));
      return;
    }
    const outcomes = await pushOnce(this.deps, call, group, startedAt, onWrite);
    await this.record(call, group, startedAt, outcomes);
  }

  /**
   * Stores each outcome, prunes dead tokens the prune guard trusts, and schedules the retries the deadline
   * allows. The group's own successes count as the credential delivering before its dead tokens are judged.
   */
  private async record(call: Call, group: Delivery[], startedAt: number, outcomes: PushOutcome[]): Promise<void> {
    const { devices, metrics, log } = this.deps;
    const now = this.deps.now();
    const retries: Delivery[] = [];
    let retryAt = 0;
    group.forEach((d, i) => {
      if (outcomes[i]?.kind === 'sent') this.prunes.delivered(d);
    });
    await Promise.all(
      group.map(async (d, i) => {
        const answered = outcomes[i] ?? NO_OUTCOME;
        const outcome = answered.kind === 'token_gone' ? await this.prunes.vet(d, answered) : answered;
        metrics.outcomes.inc({ provider: d.providerType, type: d.type, outcome: outcome.kind });
        const settlement = settle(d, outcome, now, startedAt);
        let { patch } = settlement;
        const also = [];
        if (settlement.prune && (await devices.prune(d, startedAt))) {
          patch = { ...patch, detail: `${patch.detail}; device removed` };
          also.push(prunedEvent(d, patch.detail ?? '', now));
        }
        if (outcome.kind === 'config_error') {
          log.warn({ app: d.appKey, provider: d.provider, reason: outcome.reason }, 'provider configuration error');
          if (this.firstMisconfiguredIn(d, now)) also.push(misconfiguredEvent(d, outcome.reason, now));
        }
        await this.store(d, patch, now, also);
        if (patch.nextAttemptAt !== undefined) {
          retries.push(patched(d, patch));
          retryAt = Math.max(retryAt, patch.nextAttemptAt);
        }
      }),
    );
    if (retries.length > 0) this.later(retryAt - now, () => this.push(call, retries, this.retryCheck));
  }

  /**
   * Stores a delivery's change with its event and any others (a pruned device, a misconfigured credential)
   * in one transaction (the device itself was pruned just before, in its own).
   */
  private store(d: Delivery, patch: DeliveryPatch, now: number, others: EventRecord[] = []): Promise<void> {
    return this.deps.events.around([...deliveryEvents(d, patch, now), ...others], (also) =>
      this.deps.repo.updateDelivery(d.id, patch, now, also),
    );
  }

  private firstMisconfiguredIn(d: Delivery, now: number): boolean {
    const key = `${d.appKey}\u0000${d.provider}`;
    const last = this.misconfiguredAt.get(key);
    if (last !== undefined && now - last < MISCONFIGURED_EVENT_EVERY_MS) return false;
    this.misconfiguredAt.set(key, now);
    return true;
  }

  private later(ms: number, fn: () => Promise<void>): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn().catch((err: unknown) => backgroundFailed(this.deps.log, err, 'delivery retry'));
    }, ms);
    this.timers.add(timer);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.sockets.close();
  }
}
