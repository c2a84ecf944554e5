import { describe, expect, it } from 'vitest';
import { diagnose, type KnownDevice } from '../../../../src/domain/calls/diagnosis.js';
import type { Call, Delivery } from '../../../../src/domain/calls/model.js';
import { aCall, aDelivery, T0 } from '../../fixtures.js';

const ENDED = aCall({ state: 'timed_out', endReason: 'timeout' });
const LATER = T0 + 60_000;

/** The diagnosis of bob's one ring. */
function one(ring: Partial<Delivery>, call: Call = ENDED, devices: KnownDevice[] = [], now = LATER) {
  const d = diagnose(call, [aDelivery(ring)], devices, now);
  expect(d.devices).toHaveLength(1);
  return d.devices[0]!;
}

const sent = { state: 'sent', outcome: 'sent', attempts: 1, firstAttemptAt: T0 + 10, sentAt: T0 + 60 } as const;

describe('the diagnosis of a callee device', () => {
  it('no registration: a callee nothing could ring, and how many devices it has now', () => {
    const call = aCall({ callees: { bob: 'ringing', carol: 'ringing' } });
    const d = diagnose(call, [aDelivery()], [{ userId: 'carol', deviceId: 'tab', capabilities: undefined }], T0);
    const carol = d.devices.find((x) => x.userId === 'carol')!;
    expect(carol).toMatchObject({ code: 'no_registration', notes: [] });
    expect(carol.deviceId).toBeUndefined();
    expect(carol.message).toMatch(/carol had no registered device .* It has 1 registered device now\./);
    expect(diagnose(aCall(), [], [], T0).devices[0]!.message).not.toMatch(/now/);
  });

  it('callee busy: refused with rejectWhenBusy, nothing rang', () => {
    const call = aCall({ state: 'busy', callees: { bob: 'busy' }, endReason: 'busy' });
    expect(diagnose(call, [], [], T0).devices[0]).toMatchObject({ userId: 'bob', code: 'callee_busy' });
  });

  it('token pruned: the provider said the token is dead and the registration was removed', () => {
    const d = one({
      state: 'failed',
      outcome: 'token_gone',
      attempts: 1,
      firstAttemptAt: T0 + 10,
      detail: 'UNREGISTERED; device removed',
    });
    expect(d.code).toBe('token_pruned');
    expect(d.message).toContain(new Date(T0 + 10).toISOString());
    expect(d.message).toContain('UNREGISTERED');
  });

  it('token gone but kept: the device registered again after the push', () => {
    const d = one({ state: 'failed', outcome: 'token_gone', attempts: 1, firstAttemptAt: T0, detail: 'Unregistered' });
    expect(d.code).toBe('token_gone');
    expect(d.message).toMatch(/not removed/);
  });

  it('provider rejected: a misconfigured credential, named with its reason', () => {
    const d = one({
      state: 'failed',
      outcome: 'config_error',
      attempts: 1,
      detail: 'token request refused (HTTP 400): invalid_grant',
    });
    expect(d).toMatchObject({ code: 'provider_rejected', provider: 'android' });
    expect(d.message).toContain('invalid_grant');
    expect(d.message).toContain('PUT /v1/apps/{appKey}/providers/android');
  });

  it('rate limited past the deadline: the provider asked to retry after the ring ended', () => {
    const d = one({
      state: 'expired',
      outcome: 'retry',
      attempts: 1,
      detail: 'next retry past the deadline (HTTP 429 rate limited)',
    });
    expect(d.code).toBe('retry_past_deadline');
    expect(d.message).toContain('HTTP 429 rate limited');
  });

  it('expired: not sent before the deadline for another reason', () => {
    const d = one({ state: 'expired', outcome: 'expired', detail: 'deadline passed while no node held it' });
    expect(d.code).toBe('expired');
  });

  it('no receipt: the provider accepted the push but the device never confirmed it within the ring window', () => {
    const d = one({ ...sent, providerId: 'msg-1' });
    expect(d.code).toBe('no_receipt');
    expect(d.message).toContain('message id msg-1');
    expect(d.message).toContain('(30 s)');
  });

  it('awaiting receipt: the same while the callee still rings', () => {
    expect(one(sent, aCall(), [], T0 + 1000).code).toBe('awaiting_receipt');
    // Past the ring's deadline the window is over even before the timer ends the call.
    expect(one(sent, aCall(), [], T0 + 30_000).code).toBe('no_receipt');
  });

  it('notifications disabled: a push accepted to a device that said it may not show notifications', () => {
    const caps = { notifications: 'denied' as const, reportedAt: T0 - 5000 };
    const d = one(sent, ENDED, [{ userId: 'bob', deviceId: 'pixel', capabilities: caps }]);
    expect(d.code).toBe('notifications_disabled');
    expect(d.message).toContain(new Date(T0 - 5000).toISOString());
    expect(d.notes).toEqual([]);
  });

  it('socket acknowledged: rung over the active connection and acknowledged', () => {
    const d = one({ ...sent, transport: 'connection', state: 'received', receivedAt: T0 + 120 });
    expect(d).toMatchObject({ code: 'socket_acknowledged', transport: 'connection' });
    expect(d.message).toMatch(/active connection .* 0\.1 s after/);
  });

  it('received: a push the device confirmed; late when that came after the ring window', () => {
    expect(one({ ...sent, state: 'received', receivedAt: T0 + 900 }).code).toBe('received');
    expect(one({ ...sent, state: 'received', receivedAt: T0 + 31_000 }).code).toBe('received_late');
  });

  it('answered or declined on this device, also for calls recorded before deliveries knew it', () => {
    expect(one({ ...sent, acted: 'answered', actedAt: T0 + 3000 }).code).toBe('answered');
    expect(one({ ...sent, acted: 'declined', actedAt: T0 + 3000 }).message).toContain('Declined on this device at');
    const answered = aCall({ state: 'ended', answeredBy: { userId: 'bob', deviceId: 'pixel' } });
    expect(one(sent, answered).code).toBe('answered');
  });

  it('skipped, retrying, being sent, not connected', () => {
    expect(one({ state: 'skipped', outcome: 'skipped', detail: 'the call stopped ringing' }).code).toBe('skipped');
    const retrying = one({ state: 'pending', attempts: 1, detail: 'HTTP 503', nextAttemptAt: T0 + 2000 }, aCall());
    expect(retrying.code).toBe('retrying');
    expect(retrying.message).toContain(new Date(T0 + 2000).toISOString());
    expect(one({}, aCall(), [], T0).code).toBe('sending');
    const gone = one({ transport: 'connection', provider: '', token: '', state: 'failed' });
    expect(gone.code).toBe('not_connected');
    expect(gone.provider).toBeUndefined();
  });

  it('notes what the device reported, whatever the cause', () => {
    const caps = {
      notifications: 'default' as const,
      fullScreenIntent: false,
      fcmPriority: 'normal' as const,
      callKitReported: false,
      reportedAt: T0,
    };
    const d = one({ ...sent, state: 'received', receivedAt: T0 + 900 }, ENDED, [
      { userId: 'bob', deviceId: 'pixel', capabilities: caps },
    ]);
    expect(d.code).toBe('received');
    expect(d.notes.map((n) => n.code)).toEqual([
      'notifications_not_granted',
      'full_screen_intent_denied',
      'fcm_normal_priority',
      'callkit_not_reported',
    ]);
    const denied = { notifications: 'denied' as const, reportedAt: T0 };
    const answered = one({ ...sent, acted: 'answered', actedAt: T0 + 1 }, ENDED, [
      { userId: 'bob', deviceId: 'pixel', capabilities: denied },
    ]);
    expect(answered.notes.map((n) => n.code)).toEqual(['notifications_disabled']);
  });

  it('notes a cancel that could not go to a VoIP-only device, not one that went', () => {
    const ring = aDelivery({ ...sent, deviceId: 'iphone', kind: 'voip', providerType: 'apns' });
    const cancel = { ...ring, id: 'd_2', type: 'cancel' as const, state: 'skipped' as const, outcome: 'skipped' };
    const cancelled = aCall({ state: 'cancelled', endReason: 'caller_cancelled' });
    const [d] = diagnose(cancelled, [ring, cancel], [], LATER).devices;
    expect(d!.notes.map((n) => n.code)).toEqual(['cancel_skipped']);
    const delivered = { ...cancel, kind: 'alert' as const, state: 'sent' as const };
    expect(diagnose(cancelled, [ring, delivered], [], LATER).devices[0]!.notes).toEqual([]);
  });

  it('lists every ring of every callee, and marks a test ring', () => {
    const call = aCall({ callees: { bob: 'ringing', carol: 'ringing' }, test: true, state: 'timed_out' });
    const rings = [
      aDelivery({ ...sent, id: 'd_1' }),
      aDelivery({ ...sent, id: 'd_2', deviceId: 'iphone' }),
      aDelivery({ ...sent, id: 'd_3', userId: 'carol', deviceId: 'web', state: 'received', receivedAt: T0 + 50 }),
      aDelivery({ id: 'd_4', type: 'cancel', state: 'sent' }),
    ];
    const d = diagnose(call, rings, [], LATER);
    expect(d).toMatchObject({ callId: call.id, state: 'timed_out', test: true });
    expect(d.devices.map((x) => [x.userId, x.deviceId, x.deliveryId, x.code])).toEqual([
      ['bob', 'pixel', 'd_1', 'no_receipt'],
      ['bob', 'iphone', 'd_2', 'no_receipt'],
      ['carol', 'web', 'd_3', 'received'],
    ]);
    expect('test' in diagnose(ENDED, [], [], LATER)).toBe(false);
  });
});
