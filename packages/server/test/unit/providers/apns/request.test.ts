import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { RingMessage } from '../../../../src/kernel/wire.js';
import { type ApnsPush, buildApnsPush } from '../../../../src/providers/apns/request.js';
import type { PushRequest, PushTarget } from '../../../../src/providers/contract.js';
import { aCancelRequest, aRingRequest, T0 } from '../../fixtures.js';
import { missedOf, NOTICE, SIX_HOURS } from '../requests.js';

const BUNDLE = 'com.example.calls';
const TOKEN = 'ab'.repeat(32);
const voip: PushTarget = { deviceId: 'iphone', token: TOKEN, kind: 'voip' };
const alert: PushTarget = { deviceId: 'iphone', token: TOKEN, kind: 'alert' };

function build(target: PushTarget, request: PushRequest, now = T0): ApnsPush {
  const push = buildApnsPush(target, request, BUNDLE, now);
  if ('skip' in push) throw new Error(`skipped: ${push.skip}`);
  return push;
}

function nameless(request: PushRequest): PushRequest {
  const { displayName: _, ...message } = request.message as RingMessage;
  return { ...request, message };
}

function withoutNotification(request: PushRequest): PushRequest {
  const { notification: _, ...rest } = request;
  return rest;
}

describe('buildApnsPush (docs/providers.md#apns-headers)', () => {
  it('a ring to a VoIP token is a voip push on the .voip topic with an empty aps, whatever the text', () => {
    const request = aRingRequest({ notification: NOTICE });
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

  it("a ring to an alert token shows the gateway's text with a sound, on the bundle topic", () => {
    const request = aRingRequest({ notification: { title: 'Alice', body: 'Videoanruf', visibleOnData: false } });
    const { headers, payload } = build(alert, request);
    expect(headers['apns-push-type']).toBe('alert');
    expect(headers['apns-topic']).toBe(BUNDLE);
    const body = JSON.parse(payload);
    expect(body.aps).toEqual({ alert: { title: 'Alice', body: 'Videoanruf' }, sound: 'default' });
    expect(body.callpush).toEqual(request.message);
  });

  it("hands over the app's localization keys, the arguments filling both", () => {
    const notification = { ...NOTICE, titleLocKey: 'CALL_TITLE', locKey: 'CALL_BODY', locArgs: ['Alice'] };
    const body = JSON.parse(build(alert, aRingRequest({ notification })).payload);
    expect(body.aps.alert).toEqual({
      title: 'Alice',
      body: 'Verpasster Anruf',
      'title-loc-key': 'CALL_TITLE',
      'title-loc-args': ['Alice'],
      'loc-key': 'CALL_BODY',
      'loc-args': ['Alice'],
    });
  });

  it('sends arguments only with the key they fill', () => {
    const body = JSON.parse(build(alert, aRingRequest({ notification: { ...NOTICE, locArgs: ['Alice'] } })).payload);
    expect(body.aps.alert).toEqual({ title: 'Alice', body: 'Verpasster Anruf' });
  });

  describe('without a notification, nothing in any language is made up', () => {
    it.each([
      ['a ring', aRingRequest(), 'Alice'],
      ['a ring without a display name', nameless(aRingRequest()), 'alice'],
      ['a cancel', aCancelRequest(), 'alice'],
      ['a missed notice', withoutNotification(missedOf(aRingRequest())), 'Alice'],
    ])('%s shows the caller and no body', (_name, request, caller) => {
      expect(JSON.parse(build(alert, request).payload).aps.alert).toEqual({ title: caller });
    });
  });

  it.each([
    ['a cancel', aCancelRequest(), 'cancel_not_sent_as_voip'],
    ['a missed notice', missedOf(aRingRequest()), 'missed_not_sent_as_voip'],
  ])('%s to a VoIP token is never sent (iOS would demand a new CallKit call)', (_name, request, skip) => {
    expect(buildApnsPush(voip, request, BUNDLE, T0)).toEqual({ skip });
  });

  it('a cancel to an alert token is a silent alert replacing the ring at once (same collapse id, priority 10)', () => {
    const ring = build(alert, aRingRequest());
    const notification = { title: 'Alice', body: 'Anderswo angenommen', visibleOnData: false };
    // Even when asked for normal priority: the ringing alert must go now.
    const cancel = build(alert, aCancelRequest({ notification, priority: 'normal' }));
    const body = JSON.parse(cancel.payload);
    expect(body.aps).toEqual({ alert: { title: 'Alice', body: 'Anderswo angenommen' } });
    expect(cancel.headers['apns-push-type']).toBe('alert');
    expect(cancel.headers['apns-priority']).toBe('10');
    expect(cancel.headers['apns-collapse-id']).toBe(ring.headers['apns-collapse-id']);
  });

  it('a missed notice to an alert token: its text with a sound, priority 5, hours to live, the call id', () => {
    const ring = aRingRequest();
    const missed = missedOf(ring);
    const { headers, payload } = build(alert, missed);
    expect(headers).toMatchObject({
      'apns-push-type': 'alert',
      'apns-topic': BUNDLE,
      'apns-priority': '5',
      'apns-expiration': String(Math.floor((T0 + SIX_HOURS) / 1000)),
      'apns-collapse-id': ring.collapseId,
    });
    expect(JSON.parse(payload)).toEqual({
      aps: { alert: { title: 'Alice', body: 'Verpasster Anruf' }, sound: 'default' },
      callpush: missed.message,
    });
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
