import { newId } from '#kernel';
import type { Call, Delivery } from './model.js';
import type { CancelOrder, MissedOrder } from './state-machine.js';

/** How long a cancel may still be delivered: long enough to reach a phone that was briefly offline. */
export const CANCEL_TTL_MS = 30_000;
/** How long a missed-call notice may still be delivered: it is worth seeing hours later, not days. */
export const MISSED_TTL_MS = 6 * 3600_000;

/** Who works on new deliveries, and until when, unless renewed. */
export interface Lease {
  leaseOwner: string;
  leaseUntil: number;
}

type RingTarget = Pick<
  Delivery,
  'userId' | 'deviceId' | 'provider' | 'providerType' | 'token' | 'kind' | 'environment' | 'format'
>;

/**
 * Where a cancel or missed notice for one device goes: its alert registration when it has one (a VoIP push
 * must report a call, so an iPhone rung by VoIP hears of the end through its regular APNs token), else the
 * registration it was rung on; with the language its text is written in.
 */
export type NoticeTarget = RingTarget & { locale?: string | undefined };

/** A ring of `call` for one device, not yet sent. */
export function ringDelivery(call: Call, target: RingTarget, transport: Delivery['transport'], now: number): Delivery {
  return {
    userId: target.userId,
    deviceId: target.deviceId,
    provider: target.provider,
    providerType: target.providerType,
    token: target.token,
    kind: target.kind,
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
  registered: NoticeTarget[],
  live: Array<{ userId: string; deviceId: string }>,
  lease: Lease,
  now: number,
): Delivery[] {
  const known = byDevice(registered);
  return [
    ...registered.map((t) => ({ ...ringDelivery(call, t, 'push', now), ...pushFields(t), ...lease })),
    ...live
      .filter((d) => !known.has(deviceKey(d)))
      .map(({ userId, deviceId }) => ({ ...connectionDelivery(call, userId, deviceId, now), ...lease })),
  ];
}

/**
 * The cancels a transition orders, one per ring still to be stopped. A pending ring may be in flight to its
 * provider right now and land after this: it gets a cancel too (a client drops a ring whose cancel came
 * first). Rings that never went out need none.
 */
export function cancelsFor(
  rings: Delivery[],
  orders: CancelOrder[],
  targets: NoticeTarget[],
  lease: Lease,
  now: number,
): Delivery[] {
  const targetOf = byDevice(targets);
  const cancels: Delivery[] = [];
  for (const order of orders) {
    for (const ring of rings) {
      if (ring.type !== 'ring' || !order.userIds.includes(ring.userId) || ring.deviceId === order.exceptDeviceId) {
        continue;
      }
      if (ring.state === 'failed' || ring.state === 'expired' || ring.state === 'skipped') continue;
      const target = targetOf.get(deviceKey(ring));
      cancels.push({
        ...ring,
        ...(target && ring.token !== '' ? pushFields(target) : {}),
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

const deviceKey = (d: { userId: string; deviceId: string }) => `${d.userId}\u0000${d.deviceId}`;
const byDevice = (targets: NoticeTarget[]) => new Map(targets.map((t) => [deviceKey(t), t]));

const pushFields = (t: NoticeTarget) => ({
  provider: t.provider,
  providerType: t.providerType,
  token: t.token,
  kind: t.kind,
  environment: t.environment,
  format: t.format,
  ...(t.locale !== undefined ? { locale: t.locale } : {}),
});

/**
 * The missed-call notices an ended call orders: one per registered device of each callee who neither answered
 * nor declined, and one per device of theirs known only by a live socket. Worth delivering for hours.
 */
export function missedFor(
  call: Call,
  order: MissedOrder,
  registered: NoticeTarget[],
  live: Array<{ userId: string; deviceId: string }>,
  lease: Lease,
  now: number,
): Delivery[] {
  const users = new Set(order.userIds);
  const known = byDevice(registered);
  const notice = (d: Delivery): Delivery => ({
    ...d,
    type: 'missed',
    cancelReason: order.reason,
    deadline: now + MISSED_TTL_MS,
    ...lease,
  });
  return [
    ...registered
      .filter((t) => users.has(t.userId))
      .map((t) => notice({ ...ringDelivery(call, t, 'push', now), ...pushFields(t) })),
    ...live
      .filter((d) => users.has(d.userId) && !known.has(deviceKey(d)))
      .map((d) => notice(connectionDelivery(call, d.userId, d.deviceId, now))),
  ];
}
