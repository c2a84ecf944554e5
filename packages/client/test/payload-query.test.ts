import { describe, expect, it } from 'vitest';
import { DEFAULT_CLOCK_SKEW_MS, isCallPushPayload, queryPushPayload } from '../src/payload/index.js';

const NOW = 1_763_700_000_000;

const ring = {
  v: 1,
  type: 'call.ring',
  callId: 'c_abc',
  app: 'app_1',
  from: 'alice',
  to: 'bob',
  displayName: 'Alice',
  video: true,
  headers: { k: 'v' },
  sentAt: NOW,
  expiresAt: NOW + 30_000,
};

const ringResult = {
  callId: 'c_abc',
  remoteUserId: 'alice',
  displayName: 'Alice',
  videoOffered: true,
  headers: { k: 'v' },
  timedOut: false,
  cancelled: false,
  expiresAt: NOW + 30_000,
  sentAt: NOW,
  app: 'app_1',
  to: 'bob',
  format: 'callpush',
};

const query = (data: unknown) => queryPushPayload(data, { now: NOW });
const INVALID = { isValid: false, isCall: false, isCancel: false, isMissed: false };

/**
 * Kaleyra's own example (its Flutter plugin's API docs), verbatim: the FCM data the Kaleyra hybrid bridge
 * accepts with data path `message.kaleyra`.
 */
const KALEYRA_HYBRID_EXAMPLE = {
  'google.delivered_priority': 'high',
  'content-available': '1',
  'google.sent_time': 1663347601917,
  'google.ttl': 60,
  'google.original_priority': 'high',
  from: '320',
  title: '',
  'google.message_id': '0:1123%ac212d7bf9fd7ecd',
  message:
    '{"kaleyra":{"payload":{"event":"on_call_incoming","room_id":"room_b36f162","data":{"initiator":"user1","users":[{"user":{"userAlias":"user2"},"status":"invited"},{"user":{"userAlias":"user1"},"status":"invited"}],"roomAlias":"room_b37a64c6f162","options":{"duration":0,"record":true,"recordingType":"manual","recording":"manual","creationDate":"2022-09-16T17:00:01.457Z","callType":"audio_upgradable","live":true}}},"user_token":"eyJhtokenksadfjoiasdjfoaidjfsoasidjfoi"}}',
  'google.c.sender.id': '320',
};

describe('queryPushPayload, by example', () => {
  it('reads a ring in every wrapping', () => {
    const json = JSON.stringify(ring);
    for (const data of [
      { callpush: json, 'google.message_id': '0:1' },
      JSON.stringify({ callpush: json }),
      { aps: {}, callpush: ring },
      ring,
      json,
    ]) {
      expect(query(data)).toEqual({
        isValid: true,
        isCall: true,
        isCancel: false,
        isMissed: false,
        callResult: ringResult,
      });
      expect(isCallPushPayload(data)).toBe(true);
    }
  });

  it("reads the v1 message in a declarative Web Push message's notification data, and nothing else there", () => {
    const shown = { title: 'Alice', navigate: 'https://app.example/calls/c_abc', tag: 'c_abc' };
    const declarative = { web_push: 8030, notification: { ...shown, data: ring }, mutable: true };
    for (const data of [declarative, JSON.stringify(declarative)]) {
      expect(query(data)).toEqual({
        isValid: true,
        isCall: true,
        isCancel: false,
        isMissed: false,
        callResult: ringResult,
      });
      expect(isCallPushPayload(data)).toBe(true);
    }
    // The app's own declarative notification, or one without the mark, is not a call push.
    for (const data of [
      { web_push: 8030, notification: { ...shown, data: { orderId: 7 } } },
      { web_push: '8030', notification: { ...shown, data: ring } },
      { web_push: 8030, notification: JSON.stringify({ ...shown, data: ring }).slice(1) },
    ]) {
      expect(query(data), JSON.stringify(data)).toEqual(INVALID);
      expect(isCallPushPayload(data)).toBe(false);
    }
  });

  it('reads a cancel, timed out by its reason and not by the clock', () => {
    const { displayName: _, video: __, headers: ___, ...rest } = ring;
    const cancel = { ...rest, type: 'call.cancel', reason: 'answered_elsewhere' };
    const late = queryPushPayload({ callpush: JSON.stringify(cancel) }, { now: NOW + 3_600_000 });
    expect(late).toMatchObject({ isValid: true, isCall: false, isCancel: true, isMissed: false });
    expect(late.callResult).toMatchObject({ cancelled: true, reason: 'answered_elsewhere', timedOut: false });
    expect(late.callResult?.headers).toEqual({});
    expect(query({ ...cancel, reason: 'timeout' }).callResult).toMatchObject({ timedOut: true, reason: 'timeout' });
    expect(query({ ...cancel, reason: 'hung_up' })).toEqual(INVALID);
  });

  it('reads a busy cancel and the text the gateway rendered for it', () => {
    const { displayName: _, video: __, headers: ___, ...rest } = ring;
    const text = { title: 'Alice', body: 'Beschäftigt' };
    const busy = query({ callpush: JSON.stringify({ ...rest, type: 'call.cancel', reason: 'busy', text }) });
    expect(busy).toMatchObject({
      isValid: true,
      isCancel: true,
      callResult: { reason: 'busy', timedOut: false, text },
    });
    // The text is copied out of the push, never handed over as the push's own object.
    const input = { ...rest, type: 'call.cancel', reason: 'busy', text: { ...text, extra: 'x' } };
    expect(query(input).callResult?.text).toEqual(text);
    for (const bad of [
      null,
      'Missed call',
      { title: 'Alice' },
      { title: 1, body: '' },
      { title: '', body: 'x'.repeat(1025) },
    ]) {
      expect(query({ ...input, text: bad }), JSON.stringify(bad)).toEqual(INVALID);
    }
  });

  it('reads a missed-call notice: not a ring, not a cancel, with why and when', () => {
    const { headers: _, ...rest } = ring;
    const notice = {
      ...rest,
      type: 'call.missed',
      reason: 'caller_cancelled',
      callStartedAt: NOW - 20_000,
      expiresAt: NOW + 86_400_000,
      text: { title: 'Missed call', body: 'Alice' },
    };
    // Long after the ring deadline: a notice is not a ring, so the device clock does not time it out.
    expect(queryPushPayload({ aps: { alert: notice.text }, callpush: notice }, { now: NOW + 3_600_000 })).toEqual({
      isValid: true,
      isCall: false,
      isCancel: false,
      isMissed: true,
      callResult: {
        callId: 'c_abc',
        remoteUserId: 'alice',
        displayName: 'Alice',
        videoOffered: true,
        headers: {},
        timedOut: false,
        cancelled: false,
        missed: { reason: 'caller_cancelled', callStartedAt: NOW - 20_000 },
        text: { title: 'Missed call', body: 'Alice' },
        expiresAt: NOW + 86_400_000,
        sentAt: NOW,
        app: 'app_1',
        to: 'bob',
        format: 'callpush',
      },
    });
    const { text: __, displayName: ___, ...bare } = notice;
    expect(query({ callpush: JSON.stringify({ ...bare, reason: 'timeout' }) }).callResult).toMatchObject({
      timedOut: true,
      missed: { reason: 'timeout' },
    });
    expect(query(bare).callResult).not.toHaveProperty('text');
    for (const change of [
      { reason: 'busy' },
      { reason: undefined },
      { callStartedAt: undefined },
      { callStartedAt: -5 },
      { callStartedAt: '1763699980000' },
      { video: undefined },
      { displayName: 12 },
      { text: { body: 'Alice' } },
    ]) {
      expect(query({ ...notice, ...change }), JSON.stringify(change)).toEqual(INVALID);
    }
  });

  it('calls a ring timed out only past its deadline plus the skew allowance', () => {
    const at = (now: number, clockSkewMs?: number) =>
      queryPushPayload(ring, { now, ...(clockSkewMs === undefined ? {} : { clockSkewMs }) }).callResult?.timedOut;
    expect(DEFAULT_CLOCK_SKEW_MS).toBe(5000);
    expect(at(ring.expiresAt)).toBe(false);
    expect(at(ring.expiresAt + DEFAULT_CLOCK_SKEW_MS)).toBe(false);
    expect(at(ring.expiresAt + DEFAULT_CLOCK_SKEW_MS + 1)).toBe(true);
    expect(at(ring.expiresAt + 1, 0)).toBe(true);
    expect(at(ring.expiresAt + 50_000, 60_000)).toBe(false);
    // Nonsense options fall back to the defaults rather than failing the read.
    expect(queryPushPayload(ring, { now: Number.NaN, clockSkewMs: -1 }).callResult?.timedOut).toBe(
      Date.now() > ring.expiresAt + DEFAULT_CLOCK_SKEW_MS,
    );
    expect(queryPushPayload(ring, null as never).isValid).toBe(true);
  });

  it('sets the room of a call placed from a Kaleyra webhook, and drops an empty display name', () => {
    const headers = { 'kaleyra.roomId': 'room_1', 'kaleyra.callType': 'audio_video' };
    const r = query({ ...ring, headers, displayName: '' }).callResult;
    expect(r).toMatchObject({ roomId: 'room_1', headers, format: 'callpush' });
    expect(r).not.toHaveProperty('displayName');
  });

  it('reads the published Kaleyra hybrid example and its HMS string form', () => {
    const expected = {
      isValid: true,
      isCall: true,
      isCancel: false,
      isMissed: false,
      callResult: {
        callId: 'room_b36f162',
        roomId: 'room_b36f162',
        remoteUserId: 'user1',
        videoOffered: false,
        headers: {},
        timedOut: false,
        cancelled: false,
        format: 'kaleyra',
      },
    };
    expect(query(KALEYRA_HYBRID_EXAMPLE)).toEqual(expected);
    expect(query(JSON.stringify({ message: KALEYRA_HYBRID_EXAMPLE.message }))).toEqual(expected);
  });

  it('reads Kaleyra stop events as cancels', () => {
    const missed = { event: 'on_missed_call', data: { caller_id: 'usr_1', called_users: [] } };
    expect(query({ event: 'on_missed_call', message: JSON.stringify(missed) })).toEqual({
      isValid: true,
      isCall: false,
      isCancel: true,
      isMissed: false,
      callResult: {
        callId: '',
        remoteUserId: 'usr_1',
        videoOffered: false,
        headers: {},
        timedOut: true,
        cancelled: true,
        reason: 'timeout',
        format: 'kaleyra',
      },
    });
    const ended = query({ event: 'on_call_ended', room_id: 'room_2' }).callResult;
    expect(ended).toMatchObject({ callId: 'room_2', roomId: 'room_2', reason: 'ended', timedOut: false });
    expect(query({ event: 'on_call_ended' })).toEqual(INVALID);
    expect(isCallPushPayload({ event: 'on_call_ended' })).toBe(true);
  });

  it('recognises only call pushes', () => {
    for (const data of [
      { event: 'on_message_sent', message: '{"event":"on_message_sent"}' },
      { type: 'ping' },
      { type: 'ready', userId: 'bob' },
      { 'google.message_id': '0:1', title: 'hello' },
      'on_call_incoming',
      '',
      null,
      42,
      [ring],
    ]) {
      expect(isCallPushPayload(data), JSON.stringify(data)).toBe(false);
      expect(query(data)).toEqual(INVALID);
    }
    // A newer version is callpush's, not the app's, but cannot be read.
    expect(isCallPushPayload({ ...ring, v: 2 })).toBe(true);
    expect(query({ ...ring, v: 2 })).toEqual(INVALID);
  });

  it('refuses fields out of their types and bounds', () => {
    for (const change of [
      { v: '1' },
      { type: 'call.answer' },
      { callId: '' },
      { callId: 'c'.repeat(257) },
      { from: 42 },
      { video: 'true' },
      { headers: { k: 1 } },
      { headers: ['v'] },
      { headers: { k: 'é'.repeat(512) } },
      { headers: undefined },
      { displayName: 7 },
      { sentAt: 1.5 },
      { expiresAt: Number.POSITIVE_INFINITY },
      { expiresAt: Number.NaN },
      { expiresAt: -1 },
      { expiresAt: '1763700030000' },
    ]) {
      expect(query({ ...ring, ...change }), JSON.stringify(change)).toEqual(INVALID);
    }
    // 1024 bytes of keys plus values is the limit, counted in UTF-8.
    const fits = { k: 'é'.repeat(511) };
    expect(query({ ...ring, headers: fits }).callResult?.headers).toEqual(fits);
    expect(query({ ...ring, headers: { k: '😀'.repeat(256) } }).isValid).toBe(false);
    expect(query({ ...ring, headers: { '': '😀'.repeat(255) + 'abc' } }).isValid).toBe(true);
  });
});

describe('queryPushPayload, on hostile input', () => {
  it('keeps __proto__ and constructor headers as plain keys without polluting anything', () => {
    const json = '{"__proto__":{"polluted":"yes"},"constructor":"c"}';
    const wire = JSON.stringify(ring).replace('{"k":"v"}', '{"__proto__":"p","constructor":"c"}');
    const headers = query(wire).callResult?.headers;
    expect(headers).toBeDefined();
    expect(Object.getPrototypeOf(headers)).toBe(Object.prototype);
    expect(Object.keys(headers!)).toEqual(['__proto__', 'constructor']);
    expect(Object.getOwnPropertyDescriptor(headers, '__proto__')?.value).toBe('p');
    expect({ ...headers }.constructor).toBe('c');
    // An object-valued __proto__ header is refused, not merged into a prototype.
    expect(query(JSON.stringify(ring).replace('{"k":"v"}', json))).toEqual(INVALID);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reads nothing from prototypes for Kaleyra event names', () => {
    for (const event of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(isCallPushPayload({ event, room_id: 'r' })).toBe(false);
    }
  });

  it('answers invalid for throwing getters, proxies, cycles, deep nesting and huge strings', () => {
    const throwing = Object.defineProperty({}, 'callpush', {
      get() {
        throw new Error('boom');
      },
    });
    const trap = new Proxy(
      {},
      {
        get() {
          throw new Error('trap');
        },
      },
    );
    const revocable = Proxy.revocable({}, {});
    revocable.revoke();
    const cyclic: Record<string, unknown> = { ...ring };
    cyclic.headers = cyclic;
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    let nested: unknown = ring;
    for (let i = 0; i < 100_000; i++) nested = { callpush: nested };
    const huge = JSON.stringify({ ...ring, displayName: 'x'.repeat(70_000) });
    for (const data of [throwing, trap, revocable.proxy, cyclic, deep, nested, huge, { callpush: huge }]) {
      expect(() => queryPushPayload(data)).not.toThrow();
      expect(queryPushPayload(data)).toEqual(INVALID);
      expect(() => isCallPushPayload(data)).not.toThrow();
    }
    const getterOptions = Object.defineProperty({}, 'now', {
      get() {
        throw new Error('boom');
      },
    });
    expect(queryPushPayload(ring, getterOptions)).toEqual(INVALID);
  });

  it('copies the result out of the input', () => {
    const input = structuredClone(ring);
    const result = queryPushPayload(input, { now: NOW }).callResult!;
    input.headers.k = 'changed';
    expect(result.headers).toEqual({ k: 'v' });
  });
});
