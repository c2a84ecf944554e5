import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type ApnsPush, buildApnsPush } from '../../../../src/providers/apns/request.js';
import type { PushRequest, PushTarget } from '../../../../src/providers/contract.js';
import { aCancelRequest, aRingRequest, T0 } from '../../fixtures.js';

const BUNDLE = 'com.example.calls';
const TOKEN = 'ab'.repeat(32);
const voip: PushTarget = { deviceId: 'iphone', token: TOKEN, kind: 'voip' };
const alert: PushTarget = { deviceId: 'iphone', token: TOKEN, kind: 'alert' };

function build(target: PushTarget, request: PushRequest, now = T0): ApnsPush {
  const push = buildApnsPush(target, request, BUNDLE, now);
  if ('skip' in push) throw new Error(`skipped: ${push.skip}`);
  return push;
}

describe('buildApnsPush (docs/providers.md#apns-headers)', () => {
  it('a ring to a VoIP token is a voip push on the .voip topic with an empty aps', () => {
    const request = aRingRequest();
    const { headers, payload } = build(voip, request);
    expect(headers).toMatchObject({
      ':method': 'POST',
      ':path': `/3/device/${TOKEN}`,
      'apns-push-type': 'voip',
      'apns-topic': `${BUNDLE}.voip`,
      'apns-priority': '10',
      'content-type': 'application/json',
    });
    expect(JSON.parse(payload)).toEqual({ aps: {}, callpush: request.message });
  });

  it('a ring to an alert token is a visible alert with a sound, on the bundle topic', () => {
    const request = aRingRequest();
    const { headers, payload } = build(alert, request);
    expect(headers['apns-push-type']).toBe('alert');
    expect(headers['apns-topic']).toBe(BUNDLE);
    const body = JSON.parse(payload);
    expect(body.aps).toEqual({ alert: { title: 'Alice', body: 'Incoming video call' }, sound: 'default' });
    expect(body.callpush).toEqual(request.message);
  });

  it('an audio ring without a display name shows the caller id', () => {
    const base = aRingRequest();
    if (base.message.type !== 'call.ring') throw new Error('fixture');
    const { displayName: _, ...message } = { ...base.message, video: false };
    const body = JSON.parse(build(alert, { ...base, message }).payload);
    expect(body.aps.alert).toEqual({ title: 'alice', body: 'Incoming call' });
  });

  it('a cancel to a VoIP token is never sent (iOS would demand a new CallKit call)', () => {
    expect(buildApnsPush(voip, aCancelRequest(), BUNDLE, T0)).toEqual({ skip: 'cancel_not_sent_as_voip' });
  });

  it('a cancel to an alert token is a silent alert replacing the ring (same collapse id)', () => {
    const ring = build(alert, aRingRequest());
    const cancel = build(alert, aCancelRequest());
    const body = JSON.parse(cancel.payload);
    expect(body.aps).toEqual({ alert: { title: 'alice', body: 'Answered on another device' } });
    expect(body.aps).not.toHaveProperty('sound');
    expect(cancel.headers['apns-push-type']).toBe('alert');
    expect(cancel.headers['apns-collapse-id']).toBe(ring.headers['apns-collapse-id']);
  });

  it.each([
    ['declined', 'Call declined'],
    ['caller_cancelled', 'Missed call'],
    ['timeout', 'Missed call'],
    ['ended', 'Call ended'],
  ] as const)('a cancel for %s reads "%s"', (reason, text) => {
    const base = aCancelRequest();
    if (base.message.type !== 'call.cancel') throw new Error('fixture');
    const body = JSON.parse(build(alert, { ...base, message: { ...base.message, reason } }).payload);
    expect(body.aps.alert.body).toBe(text);
  });

  describe('apns-expiration', () => {
    const expiration = (deadline: number, now: number) =>
      build(voip, aRingRequest({ deadline }), now).headers['apns-expiration'];

    it('is the deadline in epoch seconds, rounded down', () => {
      expect(expiration(1_800_000_027_999, 1_800_000_000_000)).toBe('1800000027');
    });

    it.each([
      ['under a second left, within the same second', 1_800_000_000_900, 1_800_000_000_100],
      ['the deadline itself', 1_800_000_000_000, 1_800_000_000_000],
      ['past the deadline', 1_800_000_000_000, 1_800_000_005_000],
    ])('is "0" (deliver now, never store) for %s', (_name, deadline, now) => {
      expect(expiration(deadline, now)).toBe('0');
    });
  });

  describe('apns-collapse-id', () => {
    const collapse = (id: string) => build(voip, aRingRequest({ collapseId: id })).headers['apns-collapse-id']!;

    it('is the call id when it fits in 64 bytes', () => {
      expect(collapse('c_abc')).toBe('c_abc');
      expect(collapse('x'.repeat(64))).toBe('x'.repeat(64));
    });

    it('is a SHA-256 of a longer call id, within 64 bytes and the same for ring and cancel', () => {
      const id = 'y'.repeat(65);
      const hashed = collapse(id);
      expect(hashed).toBe(createHash('sha256').update(id).digest('base64url'));
      expect(Buffer.byteLength(hashed)).toBeLessThanOrEqual(64);
      expect(build(alert, aCancelRequest({ collapseId: id })).headers['apns-collapse-id']).toBe(hashed);
    });

    it('measures bytes, not characters', () => {
      // 22 three-byte characters: 22 characters, 66 bytes.
      expect(Buffer.byteLength(collapse('€'.repeat(22)))).toBeLessThanOrEqual(64);
      expect(collapse('€'.repeat(22))).not.toBe('€'.repeat(22));
    });
  });
});
