import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isCallPushPayload, type NotificationResult, queryPushPayload } from '../src/payload/index.js';

/**
 * issue 13: the payload parser under hostile pushes, from a fixed seed (CALLPUSH_FUZZ_SEED) and a bounded count
 * (ten times more with CALLPUSH_FUZZ_LONG=1, docs/reliability.md). A push reaches it from any sender that has
 * the device's token, so every byte of it is untrusted.
 */
const LONG = process.env.CALLPUSH_FUZZ_LONG === '1';
const SEED = Number.parseInt(process.env.CALLPUSH_FUZZ_SEED ?? '20260513', 10);
const RUNS = LONG ? 50_000 : 5000;
/**
 * Far above what a push of at most 64 KiB costs (about a millisecond) even on a loaded machine; a parse that
 * takes longer is a denial of service.
 */
const SLOW_MS = 1000;
const NOW = 1_763_700_000_000;

const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];

const ring = {
  v: 1,
  type: 'call.ring',
  callId: 'c_1',
  app: 'app_1',
  from: 'alice',
  to: 'bob',
  displayName: 'Alice',
  video: true,
  headers: { room: 'r1' },
  sentAt: NOW,
  expiresAt: NOW + 30_000,
};
const cancel = { ...ring, type: 'call.cancel', reason: 'busy', text: { title: 'Alice', body: 'Busy' } };
const missed = {
  ...ring,
  type: 'call.missed',
  reason: 'timeout',
  callStartedAt: NOW - 30_000,
  expiresAt: NOW + 86_400_000,
  text: { title: 'Missed call', body: 'Alice' },
};
const kaleyra = {
  event: 'on_call_incoming',
  room_id: 'room_1',
  data: {
    initiator: 'usr_1',
    users: [{ user: { userAlias: 'usr_2' }, status: 'invited' }],
    options: { callType: 'audio' },
  },
};
const MESSAGES = [ring, cancel, missed, kaleyra];

/** Each way a device is handed a push (docs/providers.md#wire-format-v1), as the text it arrives in. */
const WRAPS: Array<(inner: string) => unknown> = [
  (m) => ({ callpush: m, 'google.message_id': '0:1' }),
  (m) => JSON.stringify({ callpush: m }),
  (m) => ({ aps: {}, callpush: JSON.parse(m) }),
  (m) => m,
  (m) => ({ event: 'on_call_incoming', message: m }),
  (m) => ({ message: JSON.stringify({ kaleyra: { payload: JSON.parse(m) } }) }),
];

/** One edit of JSON text: a character inserted, deleted or replaced, or a hostile value spliced in. */
const edit = fc.record({
  at: fc.nat(),
  how: fc.constantFrom('insert', 'delete', 'replace', 'splice'),
  text: fc.oneof(
    fc.string({ unit: 'binary', minLength: 1, maxLength: 4 }),
    fc.constantFrom('"', '\\', '{', '}', '[', ']', ',', ':', '\\u0000', '\\ud800', 'null', '1e400', '-0', '9e15'),
    fc.constantFrom(...PROTO_KEYS).map((k) => `"${k}":{"polluted":"yes"},`),
  ),
});

function applyEdit(text: string, e: { at: number; how: string; text: string }): string {
  const i = e.at % (text.length + 1);
  if (e.how === 'insert' || e.how === 'splice') return text.slice(0, i) + e.text + text.slice(i);
  if (e.how === 'delete') return text.slice(0, i) + text.slice(i + 1);
  return text.slice(0, i) + e.text + text.slice(i + e.text.length);
}

/** Values that replace one field of a valid message. */
const hostile = fc.oneof(
  fc.anything({ withNullPrototype: true, withObjectString: true, maxDepth: 3 }),
  fc.constantFrom(9e15, -1, 2 ** 53, 1e308, Number.NaN, Number.POSITIVE_INFINITY, 0.5, '', 'x'.repeat(300)),
  fc.dictionary(fc.constantFrom(...PROTO_KEYS), fc.oneof(fc.string(), fc.jsonValue({ maxDepth: 1 }))),
  fc.integer({ min: 1, max: 70_000 }).map((n) => 'é'.repeat(n)),
);

const FIELDS = [
  'v',
  'type',
  'callId',
  'app',
  'from',
  'to',
  'displayName',
  'video',
  'headers',
  'sentAt',
  'expiresAt',
  'reason',
  'callStartedAt',
  'text',
  'event',
  'room_id',
  'data',
];

const original = Object.getOwnPropertyNames(Object.prototype).sort();

/** Queries `data` and checks what must hold of any answer; returns it. */
function check(data: unknown): NotificationResult {
  const started = performance.now();
  let r!: NotificationResult;
  expect(() => {
    r = queryPushPayload(data, { now: NOW });
  }).not.toThrow();
  expect(() => isCallPushPayload(data)).not.toThrow();
  expect(performance.now() - started, 'a slow parse').toBeLessThan(SLOW_MS);
  if (!r.isValid) {
    expect(r).toEqual({ isValid: false, isCall: false, isCancel: false, isMissed: false });
    return r;
  }
  const c = r.callResult!;
  expect([r.isCall, r.isCancel, r.isMissed].filter(Boolean)).toHaveLength(1);
  expect(isCallPushPayload(data)).toBe(true);
  for (const s of [c.callId, c.remoteUserId]) expect(typeof s).toBe('string');
  expect(typeof c.videoOffered).toBe('boolean');
  expect(Object.getPrototypeOf(c.headers)).toBe(Object.prototype);
  for (const [k, v] of Object.entries(c.headers)) {
    expect(typeof v, k).toBe('string');
  }
  for (const t of [c.expiresAt, c.sentAt, c.missed?.callStartedAt]) {
    if (t !== undefined) expect(Number.isSafeInteger(t)).toBe(true);
  }
  if (c.text) {
    expect(Object.keys(c.text).sort()).toEqual(['body', 'title']);
    expect([typeof c.text.title, typeof c.text.body]).toEqual(['string', 'string']);
  }
  // Nothing read from the push reached a prototype.
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(original);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  return r;
}

describe(`the payload parser under ${RUNS} hostile pushes per property (fixed seed)`, () => {
  it('survives byte-level edits of a valid ring, cancel, missed notice or Kaleyra event in every wrapping', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...MESSAGES),
        fc.nat(WRAPS.length - 1),
        fc.array(edit, { minLength: 1, maxLength: 4 }),
        (m, w, edits) => {
          const text = edits.reduce(applyEdit, JSON.stringify(m));
          let data: unknown;
          try {
            data = WRAPS[w]!(text);
          } catch {
            data = { callpush: text }; // a wrapping that parses could not take it: the FCM data map always can
          }
          check(data);
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('survives any field of a valid message replaced by a hostile value, as objects and as JSON text', () => {
    fc.assert(
      fc.property(fc.constantFrom(...MESSAGES), fc.constantFrom(...FIELDS), hostile, (m, field, value) => {
        const mutated: Record<string, unknown> = { ...m };
        Object.defineProperty(mutated, field, { value, enumerable: true, writable: true, configurable: true });
        check(mutated);
        check({ callpush: mutated });
        let text: string | undefined;
        try {
          text = JSON.stringify(mutated);
        } catch {
          return; // JSON cannot carry it, so no push would
        }
        check(text);
        check({ callpush: text });
      }),
      { seed: SEED + 1, numRuns: RUNS },
    );
  });

  it('keeps prototype keys in headers as plain headers, and reads a ring with them', () => {
    fc.assert(
      fc.property(fc.subarray(PROTO_KEYS, { minLength: 1 }), fc.string({ maxLength: 20 }), (keys, value) => {
        const headers = `{${keys.map((k) => `"${k}":${JSON.stringify(value)}`).join(',')}}`;
        const text = JSON.stringify({ ...ring, headers: {} }).replace('"headers":{}', () => `"headers":${headers}`);
        const r = check({ callpush: text });
        expect(r.isValid).toBe(true);
        expect(Object.keys(r.callResult!.headers).sort()).toEqual([...keys].sort());
      }),
      { seed: SEED + 2, numRuns: Math.min(RUNS, 2000) },
    );
  });

  it('answers fast for inputs at and past the 64 KiB cap, deep nesting included', () => {
    const big = (n: number) => JSON.stringify({ ...ring, displayName: 'x'.repeat(n) });
    for (const data of [
      big(65_000),
      big(70_000),
      { callpush: big(65_400) },
      `${'['.repeat(60_000)}${']'.repeat(60_000)}`,
      { callpush: `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}` },
      { message: `${'['.repeat(30_000)}` },
      JSON.stringify({ callpush: JSON.stringify({ callpush: JSON.stringify(ring) }) }),
    ]) {
      check(data);
    }
  });
});
