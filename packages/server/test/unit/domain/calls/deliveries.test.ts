import { describe, expect, it } from 'vitest';
import {
  CANCEL_TTL_MS,
  cancelsFor,
  firstRings,
  MISSED_TTL_MS,
  missedFor,
} from '../../../../src/domain/calls/deliveries.js';
import type { Delivery, DeliveryState } from '../../../../src/domain/calls/model.js';
import type { CancelOrder } from '../../../../src/domain/calls/state-machine.js';
import { aCall, aDelivery, T0 } from '../../fixtures.js';

const NOW = T0 + 3_000;
const LEASE = { leaseOwner: 'n_me', leaseUntil: NOW + 15_000 };

const registered = [
  { userId: 'bob', deviceId: 'pixel', provider: 'android', providerType: 'fcm', token: 'fcm-tok', kind: 'alert' },
  { userId: 'bob', deviceId: 'iphone', provider: 'ios', providerType: 'apns', token: 'ab'.repeat(32), kind: 'voip' },
  { userId: 'carol', deviceId: 'pixel', provider: 'android', providerType: 'fcm', token: 'fcm-tok-2', kind: 'alert' },
] as const satisfies Array<Pick<Delivery, 'userId' | 'deviceId' | 'provider' | 'providerType' | 'token' | 'kind'>>;

describe('firstRings', () => {
  const call = aCall({ callees: { bob: 'ringing', carol: 'ringing' }, expiresAt: T0 + 30_000 });

  it('one pending push ring per registered device, with its token, the lease and the ring deadline', () => {
    const rings = firstRings(call, [...registered], [], LEASE, NOW);
    expect(rings.map((r) => `${r.userId}/${r.deviceId}/${r.token}/${r.kind}`)).toEqual([
      'bob/pixel/fcm-tok/alert',
      `bob/iphone/${'ab'.repeat(32)}/voip`,
      'carol/pixel/fcm-tok-2/alert',
    ]);
    for (const r of rings) {
      expect(r).toMatchObject({
        callId: call.id,
        appKey: call.appKey,
        type: 'ring',
        transport: 'push',
        state: 'pending',
        attempts: 0,
        deadline: call.expiresAt,
        createdAt: NOW,
        ...LEASE,
      });
    }
  });

  it('adds a connection ring for a device known only by its live socket, not for one also registered', () => {
    const live = [
      { userId: 'bob', deviceId: 'pixel' },
      { userId: 'bob', deviceId: 'browser-tab' },
      // Same device id as a registered one, but another user: a different device.
      { userId: 'dave', deviceId: 'iphone' },
    ];
    const rings = firstRings(call, [...registered], live, LEASE, NOW);
    expect(rings).toHaveLength(5);
    const socketOnly = rings.filter((r) => r.transport === 'connection');
    expect(socketOnly.map((r) => `${r.userId}/${r.deviceId}`)).toEqual(['bob/browser-tab', 'dave/iphone']);
    for (const r of socketOnly) {
      expect(r).toMatchObject({ provider: '', token: '', type: 'ring', state: 'pending', ...LEASE });
    }
  });

  it('gives every ring its own fresh delivery id', () => {
    const rings = firstRings(call, [...registered], [{ userId: 'bob', deviceId: 'tab' }], LEASE, NOW);
    const ids = rings.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^d_[A-Za-z0-9_-]{16}$/);
  });
});

describe('cancelsFor', () => {
  const ring = (deviceId: string, overrides: Partial<Delivery> = {}) =>
    aDelivery({ id: `d_ring_${deviceId}`, deviceId, state: 'sent', attempts: 1, sentAt: T0 + 100, ...overrides });
  const order = (o: Partial<CancelOrder> = {}): CancelOrder => ({ userIds: ['bob'], reason: 'caller_cancelled', ...o });

  it('one fresh pending cancel per ring to stop, with the reason, a 30 s deadline and the lease', () => {
    const source = ring('pixel', {
      transport: 'connection',
      outcome: 'sent',
      detail: 'over the active connection',
      firstAttemptAt: T0 + 50,
      receivedAt: T0 + 200,
      leaseOwner: undefined,
      leaseUntil: undefined,
    });
    const [cancel, ...rest] = cancelsFor([source], [order({ reason: 'timeout' })], [], LEASE, NOW);
    expect(rest).toEqual([]);
    expect(cancel).toMatchObject({
      type: 'cancel',
      cancelReason: 'timeout',
      state: 'pending',
      transport: 'push',
      attempts: 0,
      deadline: NOW + CANCEL_TTL_MS,
      createdAt: NOW,
      // The device and the way to reach it are the ring's.
      callId: source.callId,
      userId: 'bob',
      deviceId: 'pixel',
      provider: source.provider,
      token: source.token,
      kind: source.kind,
      ...LEASE,
    });
    expect(cancel!.id).not.toBe(source.id);
    expect(cancel!.id).toMatch(/^d_/);
    // Nothing of the ring's own history is carried over.
    for (const field of ['outcome', 'detail', 'firstAttemptAt', 'sentAt', 'receivedAt'] as const) {
      expect(cancel![field]).toBeUndefined();
    }
  });

  const states: Array<[DeliveryState, boolean]> = [
    ['pending', true],
    ['sent', true],
    ['received', true],
    ['failed', false],
    ['expired', false],
    ['skipped', false],
  ];

  it.each(states)('a ring in state %s gets a cancel: %s', (state, expected) => {
    expect(cancelsFor([ring('pixel', { state })], [order()], [], LEASE, NOW)).toHaveLength(expected ? 1 : 0);
  });

  it('skips the device that answered, and callees the order does not name', () => {
    const rings = [ring('pixel'), ring('iphone'), ring('tablet'), ring('carol-phone', { userId: 'carol' })];
    const cancels = cancelsFor(
      rings,
      [order({ exceptDeviceId: 'iphone', reason: 'answered_elsewhere' })],
      [],
      LEASE,
      NOW,
    );
    expect(cancels.map((c) => `${c.userId}/${c.deviceId}`)).toEqual(['bob/pixel', 'bob/tablet']);
  });

  it('never cancels a cancel', () => {
    const earlierCancel = ring('pixel', { type: 'cancel', cancelReason: 'declined' });
    expect(cancelsFor([earlierCancel], [order()], [], LEASE, NOW)).toEqual([]);
  });

  it('each order stops its own callees with its own reason', () => {
    const rings = [ring('pixel'), ring('carol-phone', { userId: 'carol' })];
    const cancels = cancelsFor(
      rings,
      [order({ userIds: ['bob'], reason: 'declined' }), order({ userIds: ['carol'], reason: 'timeout' })],
      [],
      LEASE,
      NOW,
    );
    expect(cancels.map((c) => `${c.userId}:${c.cancelReason}`)).toEqual(['bob:declined', 'carol:timeout']);
  });

  it('an order naming nobody produces nothing', () => {
    expect(cancelsFor([ring('pixel')], [order({ userIds: [] })], [], LEASE, NOW)).toEqual([]);
  });

  it('leaves the rings it was given as they were', () => {
    const rings = [ring('pixel')];
    const copy = structuredClone(rings);
    cancelsFor(rings, [order()], [], LEASE, NOW);
    expect(rings).toEqual(copy);
  });
});

describe('cancelsFor: a device with a VoIP and an alert registration', () => {
  const voipRing = aDelivery({
    id: 'd_ring_iphone',
    deviceId: 'iphone',
    provider: 'ios-voip',
    providerType: 'apns',
    token: 'voip-token',
    kind: 'voip',
    state: 'sent',
  });
  const alert = {
    userId: 'bob',
    deviceId: 'iphone',
    provider: 'ios',
    providerType: 'apns',
    token: 'alert-token',
    kind: 'alert' as const,
    locale: 'de-AT',
  };
  const order: CancelOrder = { userIds: ['bob'], reason: 'caller_cancelled' };

  it('sends the cancel of a VoIP ring to the alert registration, in its language', () => {
    const [cancel] = cancelsFor([voipRing], [order], [alert], LEASE, NOW);
    expect(cancel).toMatchObject({ provider: 'ios', token: 'alert-token', kind: 'alert', locale: 'de-AT' });
  });

  it('keeps the ring registration when the device has no other', () => {
    const [cancel] = cancelsFor([voipRing], [order], [], LEASE, NOW);
    expect(cancel).toMatchObject({ provider: 'ios-voip', token: 'voip-token', kind: 'voip' });
  });

  it('a socket-only ring stays on the socket even if another device of that id registered', () => {
    const socketRing = aDelivery({
      deviceId: 'iphone',
      provider: '',
      token: '',
      transport: 'connection',
      state: 'sent',
    });
    const [cancel] = cancelsFor([socketRing], [order], [alert], LEASE, NOW);
    expect(cancel).toMatchObject({ provider: '', token: '' });
  });
});

describe('missedFor', () => {
  const call = aCall({ callees: { bob: 'ringing', carol: 'ringing' }, expiresAt: T0 + 30_000 });
  const targets = [
    { userId: 'bob', deviceId: 'pixel', provider: 'android', providerType: 'fcm', token: 'f1', kind: 'alert' as const },
    {
      userId: 'bob',
      deviceId: 'iphone',
      provider: 'ios',
      providerType: 'apns',
      token: 'a1',
      kind: 'alert' as const,
      locale: 'fr',
    },
    {
      userId: 'carol',
      deviceId: 'pixel',
      provider: 'android',
      providerType: 'fcm',
      token: 'f2',
      kind: 'alert' as const,
    },
  ];

  it('one pending notice per device of the callees who missed it, worth hours, with the reason', () => {
    const notices = missedFor(call, { userIds: ['bob'], reason: 'timeout' }, targets, [], LEASE, NOW);
    expect(notices.map((n) => `${n.deviceId}/${n.token}/${n.locale ?? '-'}`)).toEqual(['pixel/f1/-', 'iphone/a1/fr']);
    for (const n of notices) {
      expect(n).toMatchObject({
        type: 'missed',
        cancelReason: 'timeout',
        state: 'pending',
        transport: 'push',
        deadline: NOW + MISSED_TTL_MS,
        ...LEASE,
      });
    }
  });

  it('adds a socket notice for a device known only by its live connection', () => {
    const live = [
      { userId: 'bob', deviceId: 'pixel' },
      { userId: 'bob', deviceId: 'tab' },
      { userId: 'dave', deviceId: 'tab' },
    ];
    const notices = missedFor(call, { userIds: ['bob'], reason: 'caller_cancelled' }, targets, live, LEASE, NOW);
    expect(notices.map((n) => `${n.deviceId}/${n.transport}`)).toEqual(['pixel/push', 'iphone/push', 'tab/connection']);
  });
});
