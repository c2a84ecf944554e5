import type { FastifyBaseLogger } from 'fastify';
import { alertRegistration, type Capabilities, type Device, type DevicesService } from '#domain/devices';
import { admitCall, type CallRateLimiter } from '#domain/limits';
import type { ConnectionRouter } from '#domain/realtime';
import { type Clock, Conflict, InvalidInput, isConflict, NotFound, newId, systemClock } from '#kernel';
import { backgroundFailed } from './background-failure.js';
import { type AlsoWrite, createdEvents, deliveryEvents, type EventLog, transitionEvents } from './call-events.js';
import { type CallStatus, cancelReasonOf, statusOf, type Viewer } from './call-status.js';
import { tellCaller } from './caller-updates.js';
import { cancelsFor, connectionDelivery, firstRings, type Lease, missedFor, type NoticeTarget } from './deliveries.js';
import type { Dispatcher } from './dispatch/index.js';
import { messageFor } from './messages.js';
import type { ReceiptOutcome, RingMetrics } from './metrics.js';
import type { Call, Delivery } from './model.js';
import type { TextSource } from './notification-text.js';
import { checkRingsFit, type RingFitDeps } from './payload-size.js';
import type { CallsRepository } from './repository.js';
import { RingTimers } from './ring-timers.js';
import { type CallEvent, type CancelOrder, type MissedOrder, transition } from './state-machine.js';

export const MAX_HEADERS_BYTES = 1024;
/** Callees of one call, whichever way it is placed. */
export const MAX_CALLEES = 50;
export const DEFAULT_RING_SECONDS = 30;
export const MAX_RING_SECONDS = 120;
/**
 * An answered call nobody ended stops making its users busy after this long: an app that never calls `end`
 * must not leave its users busy for ever.
 */
export const BUSY_FOR_AT_MOST_MS = 4 * 3600_000;
/** A device that connects hears of the calls that stopped ringing for it within this window (catch-up). */
export const CATCH_UP_ENDED_MS = 2 * MAX_RING_SECONDS * 1000;

export interface PlaceCall {
  /** A caller-chosen id (webhook intake ties it to the platform's room); not offered on the public API. */
  id?: string;
  from: string;
  to: string[];
  video?: boolean;
  headers?: Record<string, string>;
  displayName?: string;
  ringTimeoutSeconds?: number;
  /** A test ring (`POST /v1/users/{userId}/test-ring`): no missed-call notice when nobody answers. */
  test?: boolean;
}

/**
 * An Idempotency-Key and who sent it: the app's own credential, or one user's token. A key replays only for
 * the sender that stored it, so nobody is handed a call placed by someone else.
 */
export interface IdempotencyKey {
  key: string;
  by: { kind: 'app' } | { kind: 'user'; userId: string };
}

/** The stored scope of a key: `app` or `user:<userId>`. */
const scopeOf = ({ by }: IdempotencyKey) => (by.kind === 'app' ? 'app' : `user:${by.userId}`);

export interface CallsDeps {
  repo: CallsRepository;
  devices: Pick<DevicesService, 'listForUser' | 'reportCapabilities'>;
  dispatcher: Dispatcher;
  connections: ConnectionRouter;
  /** Per-app and per-caller limits on placing calls, shared across nodes when Redis is configured. */
  limits: CallRateLimiter;
  /** The app's settings (missed-call notices, reject when busy) and the texts a ring shows. */
  texts: TextSource;
  /** The credentials the rings go out on, to measure each as its client wraps it. */
  credentials: RingFitDeps['credentials'];
  /** Events for the app's backend, written with the changes they report. */
  events: EventLog;
  metrics: RingMetrics;
  log: FastifyBaseLogger;
  now?: Clock;
}

export interface CallsSettings {
  /** This node's name on the deliveries it works on, and how long its lease on them lasts. */
  lease: { owner: string; ms: number };
}

/** Refuses what no call may carry, before anything is stored or counted. */
function checkPlaceable(input: PlaceCall): { headers: Record<string, string>; callees: string[] } {
  const headers = input.headers ?? {};
  const headerBytes = Object.entries(headers).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  if (headerBytes > MAX_HEADERS_BYTES) {
    throw new InvalidInput(
      'headers_too_large',
      `custom headers take ${headerBytes} bytes; at most ${MAX_HEADERS_BYTES}`,
      'headers',
    );
  }
  const callees = [...new Set(input.to)];
  if (callees.includes(input.from)) throw new InvalidInput('invalid_callee', 'a user cannot call itself', 'to');
  return { headers, callees };
}

/** Calls: intake, the state machine, cancels, receipts, ring timeouts and resume after a restart. */
export class CallsService {
  private readonly repo: CallsRepository;
  private readonly now: Clock;
  private readonly timers: RingTimers;
  private readonly stateListeners: Array<(call: Call) => void> = [];

  constructor(
    private readonly deps: CallsDeps,
    private readonly settings: CallsSettings,
  ) {
    this.repo = deps.repo;
    this.now = deps.now ?? systemClock;
    this.timers = new RingTimers(this.now, (appKey, callId) =>
      this.run(this.apply(appKey, callId, { type: 'timeout' }).then(() => undefined)),
    );
  }

  /**
   * Places a call: stores it with one ring delivery per callee device, then rings them all at once. A call
   * goes through the rate limits (RateLimited when over) after validation; a replay of its Idempotency-Key
   * never does. A call some callee device's provider could not carry is refused (`payload_too_large`).
   */
  async place(
    appKey: string,
    input: PlaceCall,
    idempotency?: IdempotencyKey,
  ): Promise<{ call: Call; deliveries: Delivery[]; replayed: boolean }> {
    const key = idempotency && { scope: scopeOf(idempotency), key: idempotency.key };
    if (key) {
      const existing = await this.repo.findByIdempotencyKey(appKey, key);
      if (existing) return { call: existing, deliveries: await this.repo.deliveriesOf(existing.id), replayed: true };
    }
    const { headers, callees } = checkPlaceable(input);
    await admitCall(this.deps.limits, appKey, input.from);
    const busy = await this.busyAmong(appKey, callees);
    const now = this.now();
    const call: Call = {
      id: input.id ?? newId('c'),
      appKey,
      from: input.from,
      ...(input.displayName !== undefined ? { displayName: input.displayName } : {}),
      video: input.video ?? false,
      headers,
      ...(input.test ? { test: true } : {}),
      callees: Object.fromEntries(callees.map((u) => [u, busy.has(u) ? ('busy' as const) : ('ringing' as const)])),
      state: busy.size === callees.length ? 'busy' : 'ringing',
      ...(busy.size === callees.length ? { endReason: 'busy' } : {}),
      createdAt: now,
      expiresAt: now + (input.ringTimeoutSeconds ?? DEFAULT_RING_SECONDS) * 1000,
      updatedAt: now,
    };
    const toRing = callees.filter((u) => !busy.has(u));
    const [registered, live] = await Promise.all([
      this.devicesOf(appKey, toRing).then((devices) => devices.map(ringTarget)),
      this.deps.connections.locate(appKey, [...toRing, input.from]),
    ]);
    await checkRingsFit(this.deps, call, registered, now);
    const calleeSockets = live.devices().filter((d) => d.userId !== call.from);
    const deliveries = firstRings(call, registered, calleeSockets, this.lease(now), now);
    try {
      await this.deps.events.around(createdEvents(call), (also) => this.repo.insertCall(call, key, deliveries, also));
    } catch (err) {
      // Two requests of one sender with one Idempotency-Key raced: the other one won, answer with its call.
      const winner = key && (await this.repo.findByIdempotencyKey(appKey, key));
      if (winner) return { call: winner, deliveries: await this.repo.deliveriesOf(winner.id), replayed: true };
      throw err;
    }
    const acceptedAt = this.now();
    this.run(tellCaller(this.deps.connections, call, live));
    if (call.state === 'ringing') {
      this.timers.schedule(call);
      this.run(this.deps.dispatcher.dispatch(call, deliveries, acceptedAt, live));
    }
    return { call, deliveries, replayed: false };
  }

  /** Calls `listener` after every state change made here (other nodes are told through the cluster). */
  onStateChange(listener: (call: Call) => void): void {
    this.stateListeners.push(listener);
  }

  async get(appKey: string, callId: string): Promise<{ call: Call; deliveries: Delivery[] }> {
    const call = await this.repo.findCall(appKey, callId);
    if (!call) throw new NotFound('call_not_found', `no call ${callId}`);
    return { call, deliveries: await this.repo.deliveriesOf(callId) };
  }

  /** The latest open call of `caller` whose id starts with `idPrefix`: an integration finds its own calls. */
  latestOpenCallOf(appKey: string, caller: string, idPrefix: string): Promise<string | undefined> {
    return this.repo.latestOpenCallOf(appKey, caller, idPrefix);
  }

  /** Applies an event (answer, decline, cancel, end, timeout) and sends the cancels it implies. */
  async apply(appKey: string, callId: string, event: CallEvent): Promise<Call> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const call = await this.repo.findCall(appKey, callId);
      if (!call) throw new NotFound('call_not_found', `no call ${callId}`);
      if (attempt === 0 && event.type === 'answer') await this.checkAnsweringDevice(call, event.userId, event.deviceId);
      const { call: next, cancels, missed } = transition(call, event, Math.max(this.now(), call.updatedAt + 1));
      const at = next.updatedAt;
      const saved = await this.deps.events.around(transitionEvents(next, event), (events) =>
        this.repo.saveTransition(next, call.updatedAt, withActed(this.repo, call.id, event, at, events)),
      );
      if (!saved) continue;
      for (const listener of this.stateListeners) listener(next);
      this.run(tellCaller(this.deps.connections, next));
      if (next.state !== 'ringing' && !Object.values(next.callees).includes('ringing')) this.timers.clear(callId);
      const cancelled = cancels.length > 0 ? this.sendCancels(next, cancels) : Promise.resolve();
      this.run(cancelled);
      // After the cancels: a missed notice shares the ring's collapse id, so the later push is what a device
      // shows, and "Missed call" must not be replaced by "Call cancelled".
      if (missed) this.run(cancelled.then(noop, noop).then(() => this.sendMissed(next, missed)));
      if (next.state === 'timed_out' && call.state !== 'timed_out') this.run(this.countMissingReceipts(next));
      return next;
    }
    throw new Conflict('concurrent_update', 'the call changed too often while updating it; retry');
  }

  /**
   * A device reports that the ring arrived, and hears where the call stands for it: a ring that reached a
   * phone after the call ended must not ring.
   */
  async receipt(
    appKey: string,
    callId: string,
    userId: string,
    deviceId: string,
    capabilities?: Capabilities,
  ): Promise<{ delivery: Delivery; status: CallStatus }> {
    const call = await this.repo.findCall(appKey, callId);
    if (!call) throw new NotFound('call_not_found', `no call ${callId}`);
    const now = this.now();
    const { events } = this.deps;
    const wanted = await events.wants(appKey, 'delivery.received');
    const delivery = await this.repo.markReceived(
      callId,
      userId,
      deviceId,
      now,
      wanted ? (ring) => events.writerOf(deliveryEvents(ring, { state: 'received' }, now)) : undefined,
    );
    if (!delivery) throw new NotFound('delivery_not_found', `device ${deviceId} was not rung for this call`);
    if (delivery.receivedAt === now) {
      if (wanted) events.written();
      this.deps.metrics.receiptLatency.observe((now - call.createdAt) / 1000);
      this.deps.metrics.receipts.inc(receiptLabels(delivery, now <= delivery.deadline ? 'received' : 'late'));
    }
    this.deps.dispatcher.received(appKey, userId, deviceId, callId);
    // What the device says it can do, as it was when the ring arrived (docs/diagnosis.md).
    if (capabilities) await this.deps.devices.reportCapabilities(appKey, userId, deviceId, capabilities);
    return { delivery, status: statusOf(call, { userId, deviceId }, now) };
  }

  /** Where a call stands for `viewer` (one query: cheap enough for a woken device to ask before ringing). */
  async status(appKey: string, callId: string, viewer: Viewer | undefined): Promise<CallStatus> {
    const call = await this.repo.findCall(appKey, callId);
    if (!call) throw new NotFound('call_not_found', `no call ${callId}`);
    if (viewer && call.from !== viewer.userId && !(viewer.userId in call.callees)) {
      throw new NotFound('call_not_found', `no call ${callId}`);
    }
    return statusOf(call, viewer, this.now());
  }

  /**
   * A device just connected: it is sent a ring for every call still ringing for its user (it may have been
   * woken by that call's push, or opened mid-ring). A device the call did not know yet gets a delivery row,
   * so the call's cancel reaches it too.
   */
  async catchUp(appKey: string, userId: string, deviceId: string, send: (frame: string) => void): Promise<void> {
    const now = this.now();
    // The calls that stopped ringing for this user lately: a device woken by a ring whose cancel it never got
    // (an iPhone rung by VoIP gets no cancel push) stops ringing now.
    for (const call of await this.repo.recentCallsOf(appKey, userId, now - CATCH_UP_ENDED_MS)) {
      const reason = cancelReasonOf(statusOf(call, { userId, deviceId }, now).status);
      if (reason) send(JSON.stringify(messageFor(call, { userId, type: 'cancel', cancelReason: reason }, now)));
    }
    const calls = await this.repo.ringingFor(appKey, userId, now);
    for (const call of calls) {
      if (!(await this.repo.hasRing(call.id, userId, deviceId))) {
        const d = connectionDelivery(call, userId, deviceId, now);
        await this.repo.insertDeliveries([
          { ...d, state: 'sent', outcome: 'sent', attempts: 1, firstAttemptAt: now, sentAt: now },
        ]);
      }
      send(JSON.stringify(messageFor(call, { userId, type: 'ring' }, now)));
    }
  }

  /**
   * After a restart: re-arms the ring timeouts of open calls. Deliveries left owed are taken over through their
   * expired leases (leases.ts), on this node or another.
   */
  async rearmTimeouts(): Promise<void> {
    for (const call of await this.repo.openCalls(this.now())) this.timers.schedule(call);
  }

  close(): void {
    this.timers.close();
  }

  /**
   * An answer names the device the call goes on: one the call rang (a socket-only tab included) or one registered
   * to the callee since. Any other id would be recorded as `answeredBy` and spared the cancel meant for the rest.
   */
  private async checkAnsweringDevice(call: Call, userId: string, deviceId: string): Promise<void> {
    if (await this.repo.hasRing(call.id, userId, deviceId)) return;
    const registered = await this.deps.devices.listForUser(call.appKey, userId);
    if (registered.some((d) => d.deviceId === deviceId)) return;
    throw new InvalidInput('unknown_device', `user ${userId} has no device ${deviceId}`, 'deviceId');
  }

  /** Callees already in an answered call, when the app refuses calls to busy users (none otherwise). */
  private async busyAmong(appKey: string, callees: string[]): Promise<Set<string>> {
    if (!(await this.deps.texts.settingsOf(appKey)).rejectWhenBusy) return new Set();
    return this.repo.inAnsweredCalls(appKey, callees, this.now() - BUSY_FOR_AT_MOST_MS);
  }

  private async devicesOf(appKey: string, userIds: string[]): Promise<Device[]> {
    return (await Promise.all(userIds.map((u) => this.deps.devices.listForUser(appKey, u)))).flat();
  }

  private lease(now: number): Lease {
    return { leaseOwner: this.settings.lease.owner, leaseUntil: now + this.settings.lease.ms };
  }

  private async sendCancels(call: Call, orders: CancelOrder[]): Promise<void> {
    const [rings, devices] = await Promise.all([
      this.repo.deliveriesOf(call.id),
      this.devicesOf(call.appKey, [...new Set(orders.flatMap((o) => o.userIds))]),
    ]);
    const now = this.now();
    const cancels = cancelsFor(rings, orders, devices.map(noticeTarget), this.lease(now), now);
    if (cancels.length === 0) return;
    await this.repo.insertDeliveries(cancels);
    await this.deps.dispatcher.dispatch(call, cancels, now);
  }

  /** Missed-call notices to every device of the callees who missed the call, unless the app turned them off. */
  private async sendMissed(call: Call, order: MissedOrder): Promise<void> {
    if (call.test || !(await this.deps.texts.settingsOf(call.appKey)).missedCalls.enabled) return;
    const [devices, live] = await Promise.all([
      this.devicesOf(call.appKey, order.userIds),
      this.deps.connections.locate(call.appKey, order.userIds),
    ]);
    const now = this.now();
    const notices = missedFor(call, order, devices.map(noticeTarget), live.devices(), this.lease(now), now);
    if (notices.length === 0) return;
    await this.repo.insertDeliveries(notices);
    await this.deps.dispatcher.dispatch(call, notices, now, live);
  }

  /**
   * A call that rang its whole window: each ring sent and never confirmed counts as a missing receipt. (A ring
   * cut short by an answer or a cancel is not counted unless its receipt comes.)
   */
  private async countMissingReceipts(call: Call): Promise<void> {
    for (const d of await this.repo.deliveriesOf(call.id)) {
      if (d.type === 'ring' && d.state === 'sent') this.deps.metrics.receipts.inc(receiptLabels(d, 'missing'));
    }
  }

  /** Background work must never crash the process or vanish silently; a refused transition is expected. */
  private run(work: Promise<void>): void {
    work.catch((err: unknown) => {
      if (isConflict(err, 'invalid_transition')) return;
      backgroundFailed(this.deps.log, err, 'call background work');
    });
  }
}

const receiptLabels = (d: Delivery, outcome: ReceiptOutcome) => ({
  provider: d.providerType || 'connection',
  transport: d.transport,
  outcome,
});

const noop = () => undefined;

const withLocale = (device: Device) => (device.locale !== undefined ? { locale: device.locale } : {});

/** A device is rung on its ring registration: its VoIP one when it has one. */
const ringTarget = (device: Device): NoticeTarget => ({
  userId: device.userId,
  deviceId: device.deviceId,
  provider: device.provider,
  providerType: device.providerType,
  token: device.token,
  kind: device.kind,
  environment: device.environment,
  format: device.format,
  ...withLocale(device),
});

/** Cancels and missed notices go to a device's alert registration when it has one. */
const noticeTarget = (device: Device): NoticeTarget => {
  const r = alertRegistration(device);
  return {
    userId: device.userId,
    deviceId: device.deviceId,
    provider: r.provider,
    providerType: r.providerType,
    token: r.token,
    kind: r.kind,
    environment: r.environment,
    format: r.format,
    ...withLocale(device),
  };
};

/**
 * The writes of a transition: its events, and on an answer or decline that names its device, that device's
 * ring marked as acted on (the funnel's last step). Undefined when there is nothing but the call to save.
 */
function withActed(
  repo: CallsRepository,
  callId: string,
  event: CallEvent,
  at: number,
  events: AlsoWrite | undefined,
): AlsoWrite | undefined {
  if (event.type !== 'answer' && event.type !== 'decline') return events;
  const { userId, deviceId } = event;
  if (deviceId === undefined) return events;
  const acted = event.type === 'answer' ? 'answered' : 'declined';
  return async (db) => {
    await repo.markActed(db, callId, userId, deviceId, acted, at);
    await events?.(db);
  };
}
