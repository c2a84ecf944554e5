import { describe, expect, it } from 'vitest';
import type { PushRequest } from '../../../../src/providers/contract.js';
import {
  analyticsLabel,
  fcmData,
  fcmPayload,
  fcmSendBodies,
  fcmSendBody,
  oversizeOutcome,
} from '../../../../src/providers/fcm/message.js';
import { aCancelRequest, aRingRequest } from '../../fixtures.js';
import { missedOf, NOTICE } from '../requests.js';

describe('fcmData', () => {
  it('wraps the v1 message as JSON text under `callpush`', () => {
    const request = aRingRequest();
    const data = fcmData(request);
    expect(Object.keys(data)).toEqual(['callpush']);
    expect(JSON.parse(data.callpush!)).toEqual(request.message);
  });

  it("uses another SDK's data map as it is", () => {
    const data = { event: 'on_call_incoming', message: '{"room_id":"r1"}' };
    expect(fcmData(aRingRequest({ data }))).toEqual(data);
  });
});

describe('fcmPayload', () => {
  it('adds a notification block only when the request wants it shown on the data transports', () => {
    expect(fcmPayload(aRingRequest())).toEqual({ data: fcmData(aRingRequest()) });
    const hidden = aRingRequest({ notification: { ...NOTICE, visibleOnData: false } });
    expect(fcmPayload(hidden)).not.toHaveProperty('notification');
  });

  it("shows the gateway's text tagged with the collapse id, next to the v1 message", () => {
    const missed = missedOf(aRingRequest({ collapseId: 'c_77' }));
    const { data, notification } = fcmPayload(missed);
    expect(notification).toEqual({ title: 'Alice', body: 'Verpasster Anruf', tag: 'c_77' });
    expect(JSON.parse(data.callpush!)).toEqual(missed.message);
  });
});

describe('oversizeOutcome', () => {
  it('lets data of up to 4096 bytes of keys plus values through', () => {
    expect(oversizeOutcome({ k: 'v'.repeat(4095) })).toBeUndefined();
  });

  it('refuses one byte more as a config_error saying the size', () => {
    const r = oversizeOutcome({ k: 'v'.repeat(4096) });
    expect(r?.kind).toBe('config_error');
    expect(r?.kind === 'config_error' && r.reason).toContain('4097');
  });

  it('counts UTF-8 bytes, not characters', () => {
    // 1366 × 3 bytes + 1-byte key = 4099 bytes in 1367 characters.
    expect(oversizeOutcome({ k: '€'.repeat(1366) })?.kind).toBe('config_error');
  });

  it('counts every key and value', () => {
    expect(oversizeOutcome({ a: 'x'.repeat(2047), b: 'y'.repeat(2047) })).toBeUndefined();
    expect(oversizeOutcome({ a: 'x'.repeat(2048), b: 'y'.repeat(2048) })?.kind).toBe('config_error');
  });

  it('counts the notification block as its JSON', () => {
    const notification = { title: 'T', body: 'B', tag: 'c' };
    const block = JSON.stringify(notification).length;
    expect(oversizeOutcome({ k: 'v'.repeat(4095 - block) }, notification)).toBeUndefined();
    expect(oversizeOutcome({ k: 'v'.repeat(4096 - block) }, notification)?.kind).toBe('config_error');
  });
});

describe('fcmSendBody (docs/providers.md#fcm-send)', () => {
  const send = (ttl: number, request = aRingRequest({ collapseId: 'c_77' })) =>
    JSON.parse(fcmSendBody('reg-token', fcmPayload(request), request, ttl));

  it('a ring is a data-only message to one token: no notification block', () => {
    const body = send(27);
    expect(body.message.token).toBe('reg-token');
    expect(Object.keys(body.message.data)).toEqual(['callpush']);
    expect(body.message).not.toHaveProperty('notification');
    expect(body.message.android).not.toHaveProperty('notification');
  });

  it('high priority, the TTL as whole seconds plus "s", and the call id as collapse key', () => {
    expect(send(27).message.android).toEqual({ priority: 'HIGH', ttl: '27s', collapse_key: 'c_77' });
  });

  it('a TTL of zero is "0s": deliver now or drop', () => {
    expect(send(0).message.android.ttl).toBe('0s');
  });

  it('a missed notice goes NORMAL, its notification in android.notification next to the data', () => {
    const missed = missedOf(aRingRequest({ collapseId: 'c_77' }));
    const { message } = send(21_600, missed);
    expect(message.android).toEqual({
      priority: 'NORMAL',
      ttl: '21600s',
      collapse_key: 'c_77',
      notification: { title: 'Alice', body: 'Verpasster Anruf', tag: 'c_77' },
    });
    expect(JSON.parse(message.data.callpush)).toEqual(missed.message);
  });
});

describe('fcmSendBodies', () => {
  /** The body as it was written before the shared part was serialised once per send: the whole object at once. */
  function wholeObject(token: string, request: PushRequest, ttlSeconds: number): string {
    const { data, notification } = fcmPayload(request);
    return JSON.stringify({
      message: {
        token,
        data,
        fcm_options: { analytics_label: analyticsLabel(request.message) },
        android: {
          priority: request.priority === 'normal' ? 'NORMAL' : 'HIGH',
          ttl: `${ttlSeconds}s`,
          collapse_key: request.collapseId,
          ...(notification ? { notification } : {}),
        },
      },
    });
  }

  const requests: Array<[string, PushRequest]> = [
    ['a ring', aRingRequest({ collapseId: 'c_77' })],
    ['a cancel', aCancelRequest()],
    ['a missed notice with its notification', missedOf(aRingRequest({ collapseId: 'c_77' }))],
    [
      'a notice with quotes, backslashes, control and non-ASCII characters',
      missedOf(aRingRequest({ collapseId: 'c_"\\\u2028' }), {
        title: 'Ünïcödé "quoted" \\ \n\t',
        body: '😀 \u0000 </script>',
        visibleOnData: true,
      }),
    ],
    ['a notice not shown on the data transports', missedOf(aRingRequest(), { ...NOTICE, visibleOnData: false })],
    [
      "another SDK's data map, keys that sort as numbers included",
      aRingRequest({ data: { event: 'on_call_incoming', 2: 'two', 1: 'one', message: '{"room_id":"r\\"1"}' } }),
    ],
    ['an app outside the label alphabet', aRingRequest({ message: { ...aRingRequest().message, app: 'a/b "c"' } })],
  ];
  const tokens = ['reg-token', 'tok:APA91b_-x', 'with "quote" \\ and é'];

  it.each(requests)(
    '%s: the same bytes as JSON.stringify of the whole object, for every token and TTL',
    (_name, request) => {
      const bodies = fcmSendBodies(fcmPayload(request), request);
      for (const token of tokens) {
        for (const ttl of [0, 1, 27, 21_600]) {
          expect(bodies(token, ttl)).toBe(wholeObject(token, request, ttl));
          expect(fcmSendBody(token, fcmPayload(request), request, ttl)).toBe(wholeObject(token, request, ttl));
        }
      }
    },
  );

  it('leaves out a missing collapse key as JSON.stringify does', () => {
    const request = { ...aRingRequest(), collapseId: undefined } as unknown as PushRequest;
    expect(fcmSendBodies(fcmPayload(request), request)('t', 5)).toBe(wholeObject('t', request, 5));
  });
});

describe('analyticsLabel (docs/providers.md#fcm-analytics)', () => {
  it('names the app and the message type, so the Data API reports delivery per both', () => {
    expect(analyticsLabel(aRingRequest().message)).toBe('app1_ring');
    expect(analyticsLabel(aCancelRequest().message)).toBe('app1_cancel');
    expect(analyticsLabel(missedOf(aRingRequest()).message)).toBe('app1_missed');
  });

  it("stays in FCM's alphabet and 50 characters, the type kept whole", () => {
    const message = { ...aRingRequest().message, app: `a/b c${'x'.repeat(60)}` };
    const label = analyticsLabel(message);
    expect(label).toMatch(/^[a-zA-Z0-9\-_.~%]{1,50}$/);
    expect(label).toMatch(/^a-b-cx+_ring$/);
  });
});
