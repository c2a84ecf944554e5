import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CallResult,
  isCallPushPayload,
  type MissedReason,
  type NotificationResult,
  queryPushPayload,
} from '../src/payload/index.js';

const NOW = 1_763_700_000_000;
const REASONS = ['answered_elsewhere', 'declined', 'busy', 'caller_cancelled', 'timeout', 'ended'] as const;
const MISSED_REASONS = ['timeout', 'caller_cancelled'] as const;
const TYPES = ['call.ring', 'call.cancel', 'call.missed'];

const utf8 = (s: string) => new TextEncoder().encode(s).length;
const id = fc.string({ unit: 'binary', minLength: 1, maxLength: 128 });
const time = fc.integer({ min: 0, max: 2 ** 45 });
const headers = fc
  .dictionary(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 200 }), {
    maxKeys: 8,
  })
  .filter((h) => Object.entries(h).reduce((n, [k, v]) => n + utf8(k) + utf8(v), 0) <= 1024);

/** 512 code points are at most 1024 UTF-16 units, the reader's bound. */
const text = fc.record({
  title: fc.string({ unit: 'binary', maxLength: 512 }),
  body: fc.string({ unit: 'binary', maxLength: 512 }),
});
const COMMON_KEYS = ['v', 'type', 'callId', 'app', 'from', 'to', 'sentAt', 'expiresAt'] as const;
const common = { v: fc.constant(1), callId: id, app: id, from: id, to: id, sentAt: time, expiresAt: time };
const caller = { displayName: fc.string({ unit: 'binary', minLength: 1, maxLength: 128 }), video: fc.boolean() };
const ring = fc.record(
  { ...common, type: fc.constant('call.ring'), ...caller, headers },
  { requiredKeys: [...COMMON_KEYS, 'video', 'headers'] },
);
const cancel = fc.record(
  { ...common, type: fc.constant('call.cancel'), reason: fc.constantFrom(...REASONS), text },
  { requiredKeys: [...COMMON_KEYS, 'reason'] },
);
const missed = fc.record(
  {
    ...common,
    type: fc.constant('call.missed'),
    ...caller,
    reason: fc.constantFrom(...MISSED_REASONS),
    callStartedAt: time,
    text,
  },
  { requiredKeys: [...COMMON_KEYS, 'video', 'reason', 'callStartedAt'] },
);
const message = fc.oneof(ring, cancel, missed);

/** Each way a device is handed the v1 message (docs/providers.md#wire-format-v1). */
const WRAPPINGS: Record<string, (m: object) => unknown> = {
  'FCM data map': (m) => ({ callpush: JSON.stringify(m), 'google.message_id': '0:1', 'google.ttl': '30' }),
  'HMS data string': (m) => JSON.stringify({ callpush: JSON.stringify(m) }),
  'HMS data map': (m) => ({ callpush: JSON.stringify(m) }),
  'APNs dictionary': (m) => ({ aps: {}, callpush: m }),
  'Web Push body, parsed': (m) => JSON.parse(JSON.stringify(m)),
  'Web Push body or connection frame, text': (m) => JSON.stringify(m),
};

/** What the message says, field by field, as a call result. */
function expected(m: Record<string, unknown>, now: number): CallResult {
  const base = {
    callId: m.callId as string,
    remoteUserId: m.from as string,
    app: m.app as string,
    to: m.to as string,
    sentAt: m.sentAt as number,
    expiresAt: m.expiresAt as number,
    format: 'callpush' as const,
  };
  const shown = m.text === undefined ? {} : { text: m.text as CallResult['text'] };
  const named = m.displayName === undefined ? {} : { displayName: m.displayName as string };
  if (m.type === 'call.cancel') {
    const reason = m.reason as CallResult['reason'];
    return {
      ...base,
      videoOffered: false,
      headers: {},
      timedOut: reason === 'timeout',
      cancelled: true,
      reason,
      ...shown,
    };
  }
  if (m.type === 'call.missed') {
    const reason = m.reason as MissedReason;
    return {
      ...base,
      ...named,
      videoOffered: m.video as boolean,
      headers: {},
      timedOut: reason === 'timeout',
      cancelled: false,
      missed: { reason, callStartedAt: m.callStartedAt as number },
      ...shown,
    };
  }
  const h = m.headers as Record<string, string>;
  const roomId = h['kaleyra.roomId'];
  return {
    ...base,
    ...named,
    videoOffered: m.video as boolean,
    headers: h,
    timedOut: now - 5000 > (m.expiresAt as number),
    cancelled: false,
    ...(roomId ? { roomId } : {}),
  };
}

/** The invariants of any answer: an invalid one says nothing more, a valid one is exactly a ring, cancel or notice. */
function checkShape(r: NotificationResult): void {
  if (!r.isValid) {
    expect(r).toEqual({ isValid: false, isCall: false, isCancel: false, isMissed: false });
    return;
  }
  expect(r.callResult).toBeDefined();
  expect([r.isCall, r.isCancel, r.isMissed].filter(Boolean)).toHaveLength(1);
  expect(r.isCancel).toBe(r.callResult!.cancelled);
  expect(r.isMissed).toBe(r.callResult!.missed !== undefined);
  expect(Object.getPrototypeOf(r.callResult!.headers)).toBe(Object.prototype);
  for (const v of Object.values(r.callResult!.headers)) expect(typeof v).toBe('string');
}

function checkAnything(data: unknown): void {
  let r: NotificationResult | undefined;
  expect(() => {
    r = queryPushPayload(data, { now: NOW });
  }).not.toThrow();
  checkShape(r!);
  let recognised: boolean | undefined;
  expect(() => {
    recognised = isCallPushPayload(data);
  }).not.toThrow();
  if (r!.isValid) expect(recognised).toBe(true);
}

const RUNS = { numRuns: 300 };

describe('queryPushPayload, properties', () => {
  it('never throws, and answers in a consistent shape, for anything', () => {
    fc.assert(
      fc.property(fc.anything({ withObjectString: true, withNullPrototype: true, withMap: true }), checkAnything),
      RUNS,
    );
  });

  it('never throws for arbitrary JSON text, bare or in each wrapping', () => {
    fc.assert(
      fc.property(fc.json(), fc.constantFrom(...Object.values(WRAPPINGS)), (json, wrap) => {
        checkAnything(json);
        checkAnything({ callpush: json });
        checkAnything(wrap(JSON.parse(json)));
        checkAnything({ message: json });
      }),
      RUNS,
    );
  });

  it('never throws for a valid message with one field replaced by anything', () => {
    fc.assert(
      fc.property(
        message,
        fc.constantFrom(
          'v',
          'type',
          'callId',
          'from',
          'headers',
          'video',
          'expiresAt',
          'reason',
          'displayName',
          'callStartedAt',
          'text',
        ),
        fc.anything(),
        fc.constantFrom(...Object.values(WRAPPINGS)),
        (m, key, value, wrap) => {
          const mutated = { ...m, [key]: value };
          checkAnything(mutated);
          // A wrapping that goes through JSON turns some values (undefined, NaN) into others; the bare object does not.
          const r = queryPushPayload(mutated, { now: NOW });
          if (key === 'v' && value !== 1) expect(r.isValid).toBe(false);
          if (key === 'type' && !TYPES.includes(value as string)) expect(r.isValid).toBe(false);
          let wrapped: unknown;
          try {
            wrapped = wrap(mutated);
          } catch {
            return; // JSON cannot carry it (a BigInt, a cycle), so no device would receive it
          }
          checkAnything(wrapped);
        },
      ),
      RUNS,
    );
  });

  it('never throws for oversized strings and headers', () => {
    fc.assert(
      fc.property(
        ring,
        fc.string({ minLength: 1000, maxLength: 70_000 }),
        fc.constantFrom(...Object.values(WRAPPINGS)),
        (m, big, wrap) => {
          checkAnything(wrap({ ...m, headers: { big } }));
          checkAnything(wrap({ ...m, callId: big }));
          checkAnything(big);
        },
      ),
      { numRuns: 30 },
    );
  });

  for (const [name, wrap] of Object.entries(WRAPPINGS)) {
    it(`reads back a generated ring, cancel or missed notice from the ${name}`, () => {
      fc.assert(
        fc.property(message, fc.integer({ min: 0, max: 2 ** 45 }), (m, now) => {
          const data = wrap(m);
          expect(isCallPushPayload(data)).toBe(true);
          const r = queryPushPayload(data, { now });
          expect(r).toEqual({
            isValid: true,
            isCall: m.type === 'call.ring',
            isCancel: m.type === 'call.cancel',
            isMissed: m.type === 'call.missed',
            callResult: expected(m, now),
          });
        }),
        RUNS,
      );
    });
  }
});
