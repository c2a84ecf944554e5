import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { DevicesService } from '../devices/index.js';
import { badRequest, conflict, notFound } from '../http/errors.js';
import { admitCall, type CallRateLimiter } from '../limits/index.js';
import type { ConnectionRouter } from '../realtime/index.js';
import type { Dispatcher } from './dispatcher.js';
import { messageFor } from './messages.js';
import type { RingMetrics } from './metrics.js';
import type { Call, Delivery } from './model.js';
import type { CallsRepository } from './repository.js';
import { type CallEvent, type CancelOrder, isRinging, transition } from './state-machine.js';

export const MAX_HEADERS_BYTES = 1024;
export const DEFAULT_RING_SECONDS = 30;
export const MAX_RING_SECONDS = 120;
/** How long a cancel may still be delivered: long enough to reach a phone that was briefly offline. */
const CANCEL_TTL_MS = 30_000;

export interface PlaceCall {
  /** A caller-chosen id (webhook intake ties it to the platform's room); not offered on the public API. */
  id?: string;
  from: string;
  to: string[];
  video?: boolean;
  headers?: Record<string, string>;
  displayName?: string;
  ringTimeoutSeconds?: number;
}

const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('base64url')}`;

type RingTarget = Pick<Delivery, 'userId' | 'deviceId' | 'provider' | 'providerType' | 'token' | 'kind'>;

/** A ring of `call` for one device, not yet sent. */
function ringDelivery(call: Call, target: RingTarget, transport: Delivery['transport'], now: number): Delivery {
  return {
    ...target,
    id: newId('d'),
    callId: call.id,
    appKey: call.appKey,
    transport,
    type: 'ring',
    state: 'pending',
    attempts: 0,
    deadline: call.expiresAt,
    createdAt: now,
  };
}

/** A ring for a device known only by its active connection: no provider, no token. */
const connectionDelivery = (call: Call, userId: string, deviceId: string, now: number): Delivery =>
  ringDelivery(call, { userId, deviceId, provider: '', providerType: '', token: '', kind: 'alert' }, 'connection', now);

/** Calls: intake, the state machine, cancels, receipts, ring timeouts and resume after a restart. */
export class CallsService {
  private readonly timeouts = new Map<string, NodeJS.Timeout>();
  private readonly stateListeners: Array<(call: Call) => void> = [];

  constructor(
    private readonly repo: CallsRepository,
    private readonly devices: DevicesService,
    private readonly dispatcher: Dispatcher,
    private readonly metrics: RingMetrics,
    private readonly log: FastifyBaseLogger,
    private readonly connections: ConnectionRouter,
    /** Per-app and per-caller limits on placing calls, shared across nodes when Redis is configured. */
    private readonly limits: CallRateLimiter,
    /** This node's name on the deliveries it works on, and how long its lease on them lasts. */
    private readonly lease: { owner: string; ms: number },
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Places a call: stores it with one ring delivery per callee device, then rings them all at once. A call
   * goes through the rate limits (429 when over) after validation; a replay of its Idempotency-Key never does.
   */
  async place(
    appKey: string,
    input: PlaceCall,
    idempotencyKey?: string,
  ): Promise<{ call: Call; deliveries: Delivery[]; replayed: boolean }> {
    if (idempotencyKey) {
      const existing = await this.repo.findByIdempotencyKey(appKey, idempotencyKey);
      if (existing) return { call: existing, deliveries: await this.repo.deliveriesOf(existing.id), replayed: true };
    }
    const headers = input.headers ?? {};
    const headerBytes = Object.entries(headers).reduce(
      (n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v),
      0,
    );
    if (headerBytes > MAX_HEADERS_BYTES) {
      throw badRequest(
        'headers_too_large',
        `custom headers take ${headerBytes} bytes; at most ${MAX_HEADERS_BYTES}`,
        'headers',
      );
    }
    const callees = [...new Set(input.to)];
    if (callees.includes(input.from)) throw badRequest('invalid_callee', 'a user cannot call itself', 'to');
    await admitCall(this.limits, appKey, input.from);
    const now = this.now();
    const call: Call = {
      id: input.id ?? newId('c'),
      appKey,
      from: input.from,
      ...(input.displayName !== undefined ? { displayName: input.displayName } : {}),
      video: input.video ?? false,
      headers,
      callees: Object.fromEntries(callees.map((u) => [u, 'ringing' as const])),
      state: 'ringing',
      createdAt: now,
      expiresAt: now + (input.ringTimeoutSeconds ?? DEFAULT_RING_SECONDS) * 1000,
      updatedAt: now,
    };
    const [registered, live] = await Promise.all([
      Promise.all(callees.map((u) => this.devices.listForUser(appKey, u))).then((lists) => lists.flat()),
      this.connections.locate(appKey, callees),
    ]);
    const lease = { leaseOwner: this.lease.owner, leaseUntil: now + this.lease.ms };
    const deliveries: Delivery[] = [
      ...registered.map(({ userId, deviceId, provider, providerType, token, kind }) => ({
        ...ringDelivery(call, { userId, deviceId, provider, providerType, token, kind }, 'push', now),
        ...lease,
      })),
      // Devices known only by their socket (a browser tab without Web Push) ring over it alone.
      ...live
        .devices()
        .filter(({ userId, deviceId }) => !registered.some((r) => r.userId === userId && r.deviceId === deviceId))
        .map(({ userId, deviceId }) => ({ ...connectionDelivery(call, userId, deviceId, now), ...lease })),
    ];
    try {
      await this.repo.insertCall(call, idempotencyKey, deliveries);
    } catch (err) {
      // Two requests with one Idempotency-Key raced: the other one won, answer with its call.
      const winner = idempotencyKey && (await this.repo.findByIdempotencyKey(appKey, idempotencyKey));
      if (winner) return { call: winner, deliveries: await this.repo.deliveriesOf(winner.id), replayed: true };
      throw err;
    }
    const acceptedAt = this.now();
    this.scheduleTimeout(call);
    this.run(this.dispatcher.dispatch(call, deliveries, acceptedAt, live));
    return { call, deliveries, replayed: false };
  }

  /** Calls `listener` after every state change made here (other nodes are told through the cluster). */
  onStateChange(listener: (call: Call) => void): void {
    this.stateListeners.push(listener);
  }

  async get(appKey: string, callId: string): Promise<{ call: Call; deliveries: Delivery[] }> {
    const call = await this.repo.findCall(appKey, callId);
    if (!call) throw notFound('call_not_found', `no call ${callId}`);
    return { call, deliveries: await this.repo.deliveriesOf(callId) };
  }

  /** Applies an event (answer, decline, cancel, end, timeout) and sends the cancels it implies. */
  async apply(appKey: string, callId: string, event: CallEvent): Promise<Call> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const call = await this.repo.findCall(appKey, callId);
      if (!call) throw notFound('call_not_found', `no call ${callId}`);
      const { call: next, cancels } = transition(call, event, Math.max(this.now(), call.updatedAt + 1));
      if (!(await this.repo.saveTransition(next, call.updatedAt))) continue;
      for (const listener of this.stateListeners) listener(next);
      if (next.state !== 'ringing' && !Object.values(next.callees).includes('ringing')) this.clearTimeout(callId);
      if (cancels.length > 0) this.run(this.sendCancels(next, cancels));
      return next;
    }
    throw conflict('concurrent_update', 'the call changed too often while updating it; retry');
  }

  /** A device reports that the ring arrived. */
  async receipt(appKey: string, callId: string, userId: string, deviceId: string): Promise<Delivery> {
    const call = await this.repo.findCall(appKey, callId);
    if (!call) throw notFound('call_not_found', `no call ${callId}`);
    const now = this.now();
    const delivery = await this.repo.markReceived(callId, userId, deviceId, now);
    if (!delivery) throw notFound('delivery_not_found', `device ${deviceId} was not rung for this call`);
    if (delivery.receivedAt === now) this.metrics.receiptLatency.observe((now - call.createdAt) / 1000);
    this.dispatcher.received(appKey, userId, deviceId, callId);
    return delivery;
  }

  /**
   * A device just connected: it is sent a ring for every call still ringing for its user (it may have been
   * woken by that call's push, or opened mid-ring). A device the call did not know yet gets a delivery row,
   * so the call's cancel reaches it too.
   */
  async catchUp(appKey: string, userId: string, deviceId: string, send: (frame: string) => void): Promise<void> {
    const now = this.now();
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

  async stillRinging(callId: string, userId: string): Promise<boolean> {
    const call = await this.repo.findCallById(callId);
    return !!call && isRinging(call, userId);
  }

  /**
   * After a restart: re-arms the ring timeouts of open calls. Deliveries left owed are taken over through their
   * expired leases (calls/leases.ts), on this node or another.
   */
  async rearmTimeouts(): Promise<void> {
    for (const call of await this.repo.openCalls(this.now())) this.scheduleTimeout(call);
  }

  private async sendCancels(call: Call, orders: CancelOrder[]): Promise<void> {
    const rung = (await this.repo.deliveriesOf(call.id)).filter((d) => d.type === 'ring');
    const now = this.now();
    const cancels: Delivery[] = [];
    for (const order of orders) {
      for (const ring of rung) {
        if (!order.userIds.includes(ring.userId) || ring.deviceId === order.exceptDeviceId) continue;
        // A pending ring may be in flight to its provider right now and land after this: it gets a cancel too
        // (a client drops a ring whose cancel came first). Rings that never went out need none.
        if (ring.state === 'failed' || ring.state === 'expired' || ring.state === 'skipped') continue;
        cancels.push({
          ...ring,
          id: newId('d'),
          transport: 'push',
          type: 'cancel',
          cancelReason: order.reason,
          state: 'pending',
          outcome: undefined,
          detail: undefined,
          attempts: 0,
          deadline: now + CANCEL_TTL_MS,
          createdAt: now,
          firstAttemptAt: undefined,
          sentAt: undefined,
          receivedAt: undefined,
          leaseOwner: this.lease.owner,
          leaseUntil: now + this.lease.ms,
        });
      }
    }
    if (cancels.length === 0) return;
    await this.repo.insertDeliveries(cancels);
    await this.dispatcher.dispatch(call, cancels, now);
  }

  private scheduleTimeout(call: Call): void {
    this.clearTimeout(call.id);
    const timer = setTimeout(
      () => {
        this.timeouts.delete(call.id);
        this.run(this.apply(call.appKey, call.id, { type: 'timeout' }).then(() => undefined));
      },
      Math.max(0, call.expiresAt - this.now()),
    );
    timer.unref();
    this.timeouts.set(call.id, timer);
  }

  private clearTimeout(callId: string): void {
    const timer = this.timeouts.get(callId);
    if (timer) clearTimeout(timer);
    this.timeouts.delete(callId);
  }

  /** Background work must never crash the process or vanish silently. */
  private run(work: Promise<void>): void {
    work.catch((err: unknown) => {
      if ((err as { code?: string }).code === 'invalid_transition') return;
      this.log.error({ err }, 'call background work failed');
    });
  }

  close(): void {
    for (const timer of this.timeouts.values()) clearTimeout(timer);
    this.timeouts.clear();
  }
}
