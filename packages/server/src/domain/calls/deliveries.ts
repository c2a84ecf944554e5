import { newId } from '#kernel';
import type { Call, Delivery } from './model.js';
import type { CancelOrder } from './state-machine.js';

/** How long a cancel may still be delivered: long enough to reach a phone that was briefly offline. */
export const CANCEL_TTL_MS = 30_000;

/** Who works on new deliveries, and until when, unless renewed. */
export interface Lease {
  leaseOwner: string;
  leaseUntil: number;
}

type RingTarget = Pick<Delivery, 'userId' | 'deviceId' | 'provider' | 'providerType' | 'token' | 'kind'>;

/** A ring of `call` for one device, not yet sent. */
export function ringDelivery(call: Call, target: RingTarget, transport: Delivery['transport'], now: number): Delivery {
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
export const connectionDelivery = (call: Call, userId: string, deviceId: string, now: number): Delivery =>
  ringDelivery(call, { userId, deviceId, provider: '', providerType: '', token: '', kind: 'alert' }, 'connection', now);

/**
 * The first deliveries of a call: one ring per registered device, and one per device known only by its live
 * socket (a browser tab without Web Push), which rings over that socket alone.
 */
export function firstRings(
  call: Call,
  registered: RingTarget[],
  live: Array<{ userId: string; deviceId: string }>,
  lease: Lease,
  now: number,
): Delivery[] {
  const known = new Set(registered.map((r) => `${r.userId}\u0000${r.deviceId}`));
  return [
    ...registered.map(({ userId, deviceId, provider, providerType, token, kind }) => ({
      ...ringDelivery(call, { userId, deviceId, provider, providerType, token, kind }, 'push', now),
      ...lease,
    })),
    ...live
      .filter(({ userId, deviceId }) => !known.has(`${userId}\u0000${deviceId}`))
      .map(({ userId, deviceId }) => ({ ...connectionDelivery(call, userId, deviceId, now), ...lease })),
  ];
}

/**
 * The cancels a transition orders, one per ring still to be stopped. A pending ring may be in flight to its
 * provider right now and land after this: it gets a cancel too (a client drops a ring whose cancel came
 * first). Rings that never went out need none.
 */
export function cancelsFor(rings: Delivery[], orders: CancelOrder[], lease: Lease, now: number): Delivery[] {
  const cancels: Delivery[] = [];
  for (const order of orders) {
    for (const ring of rings) {
      if (ring.type !== 'ring' || !order.userIds.includes(ring.userId) || ring.deviceId === order.exceptDeviceId) {
        continue;
      }
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
        ...lease,
      });
    }
  }
  return cancels;
}
