import type { FastifyBaseLogger } from 'fastify';
import type { ConnectionRouter, LiveDevices } from '#domain/realtime';
import type { Clock } from '#kernel';
import { backgroundFailed } from '../background-failure.js';
import { deliveryEvents, type EventLog } from '../call-events.js';
import { messageFor } from '../messages.js';
import type { RingMetrics } from '../metrics.js';
import { type Call, type Delivery, type DeliveryPatch, patched } from '../model.js';
import type { CallsRepository } from '../repository.js';
import { stillRinging } from './still-ringing.js';

/** A ring sent over a socket, waiting for its receipt. */
export interface AwaitingReceipt {
  call: Call;
  /** The delivery as recorded after the socket send. */
  delivery: Delivery;
  timer: NodeJS.Timeout;
}

export interface SocketFirstDeps {
  repo: CallsRepository;
  /** Sockets on this node and others. */
  connections: ConnectionRouter;
  metrics: RingMetrics;
  /** A ring sent over a socket is a `delivery.sent` for the app's backend. */
  events: EventLog;
  log: FastifyBaseLogger;
  now: Clock;
  /** Sends a ring by push after all: no receipt came within the ack window, or the socket went away. */
  pushInstead(call: Call, delivery: Delivery): Promise<void>;
}

export interface SocketFirstSettings {
  /** How long a ring over a socket waits for its receipt before the device's push is sent, ms. */
  ackWindowMs: number;
}

/** Key of one device in `awaiting`. */
const deviceKey = (appKey: string, userId: string, deviceId: string) => `${appKey}\u0000${userId}\u0000${deviceId}`;

/**
 * A device with a live socket is rung over it first (a foreground app rings at once, without a push); a ring
 * to a device that also has a push token keeps its push owed until the device's receipt comes back, and
 * sends it when the ack window ends or the socket goes away first.
 */
export class SocketFirst {
  /** By `app/user/device`, then call id. */
  private readonly awaiting = new Map<string, Map<string, AwaitingReceipt>>();
  private closed = false;

  constructor(
    private readonly deps: SocketFirstDeps,
    private readonly settings: SocketFirstSettings,
  ) {
    deps.connections.onLost((c) => this.connectionLost(c.appKey, c.userId, c.deviceId));
  }

  /**
   * Sends a delivery over the device's socket when it has one, and records it. A device known only by its
   * socket, now gone, is not reachable: its ring is recorded as such (it catches up if it reconnects while
   * the call rings). Undefined: the device has no socket, send by push.
   */
  send(call: Call, d: Delivery, acceptedAt: number, live: LiveDevices | undefined): Promise<void> | undefined {
    const { repo, metrics } = this.deps;
    const now = this.deps.now();
    const sent = now < d.deadline && !!live?.send(d.userId, d.deviceId, () => JSON.stringify(messageFor(call, d, now)));
    if (!sent) {
      if (d.token !== '') return undefined;
      // Sent before (taken over from a node that died): it rings again if the device reconnects in time.
      if (d.state === 'sent') return repo.updateDelivery(d.id, { lease: 'release' }, now);
      const detail = 'no live connection and no push token';
      const patch: DeliveryPatch = { state: d.type === 'ring' ? 'failed' : 'skipped', detail, lease: 'release' };
      return this.deps.events.around(deliveryEvents(d, patch, now), (also) =>
        repo.updateDelivery(d.id, patch, now, also),
      );
    }
    metrics.outcomes.inc({ provider: 'connection', type: d.type, outcome: 'sent' });
    if (d.type === 'ring') metrics.ringDispatch.observe((now - acceptedAt) / 1000);
    // A ring to a device with a push token still owes its push until the receipt: it keeps its lease.
    const pushOwed = d.type === 'ring' && d.token !== '';
    const patch: DeliveryPatch = {
      state: 'sent',
      transport: 'connection',
      outcome: 'sent',
      attempts: d.attempts + 1,
      firstAttemptAt: d.firstAttemptAt ?? now,
      sentAt: now,
      detail: 'over the active connection',
      ...(pushOwed ? {} : { lease: 'release' as const }),
    };
    if (pushOwed) this.awaitReceipt(call, patched(d, patch));
    return this.deps.events.around(deliveryEvents(d, patch, now), (also) =>
      repo.updateDelivery(d.id, patch, now, also),
    );
  }

  /** A device reported a ring: its push is not needed. */
  received(appKey: string, userId: string, deviceId: string, callId: string): void {
    this.take(deviceKey(appKey, userId, deviceId), callId);
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
        if (await stillRinging(this.deps.repo, callId, d.userId)) return;
        this.take(device, callId);
        await this.deps.repo.updateDelivery(d.id, { lease: 'release' }, this.deps.now());
      };
      stop().catch((err: unknown) => backgroundFailed(this.deps.log, err, 'call change handling'));
    }
  }

  close(): void {
    this.closed = true;
    for (const calls of this.awaiting.values()) for (const entry of calls.values()) clearTimeout(entry.timer);
    this.awaiting.clear();
  }

  private awaitReceipt(call: Call, delivery: Delivery): void {
    const device = deviceKey(delivery.appKey, delivery.userId, delivery.deviceId);
    let calls = this.awaiting.get(device);
    if (!calls) {
      calls = new Map();
      this.awaiting.set(device, calls);
    }
    clearTimeout(calls.get(call.id)?.timer);
    const timer = setTimeout(() => this.fallBack(device, call.id), this.settings.ackWindowMs);
    calls.set(call.id, { call, delivery, timer });
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

  /** A socket went away before its rings were acknowledged: push them now rather than at the window's end. */
  private connectionLost(appKey: string, userId: string, deviceId: string): void {
    const device = deviceKey(appKey, userId, deviceId);
    for (const callId of [...(this.awaiting.get(device)?.keys() ?? [])]) this.fallBack(device, callId);
  }

  /** No receipt within the ack window: the ring goes by push, if the callee is still to be rung. */
  private fallBack(device: string, callId: string): void {
    const entry = this.take(device, callId);
    if (!entry || this.closed) return;
    const { repo, now } = this.deps;
    const d = entry.delivery;
    const work = async () => {
      // Received on another node, answered or cancelled meanwhile: the ring stays recorded as sent.
      if ((await repo.isReceived(d.id)) || !(await stillRinging(repo, callId, d.userId))) {
        await repo.updateDelivery(d.id, { lease: 'release' }, now());
        return;
      }
      const patch: DeliveryPatch = { transport: 'push', state: 'pending', detail: 'no receipt over the connection' };
      await repo.updateDelivery(d.id, patch, now());
      await this.deps.pushInstead(entry.call, patched(d, patch));
    };
    work().catch((err: unknown) => backgroundFailed(this.deps.log, err, 'push fallback'));
  }
}
