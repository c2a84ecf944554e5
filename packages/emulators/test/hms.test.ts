import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type HmsEmulator, MAX_TOKENS, startHmsEmulator } from '../src/hms/index.js';
import { http1, type RawAnswer } from './support/raw-http.js';

/** HMS Push Kit v1 `messages:send`: the result-code model, request checks and scripted behaviours. */

let hms: HmsEmulator;

beforeAll(async () => {
  hms = await startHmsEmulator();
});

afterEach(() => {
  hms.messages.clear();
  hms.behaviours.clear();
  hms.faults.clear();
});

afterAll(() => hms.close());

function post(body: unknown, emulator = hms): Promise<RawAnswer> {
  return http1(`${emulator.pushUrl}/v1/${emulator.appId}/messages:send`, {
    headers: {
      authorization: `Bearer ${emulator.issueAccessToken().access_token}`,
      'content-type': 'application/json;charset=utf-8',
    },
    body,
  });
}

/** An incoming-call data message in Push Kit's v1 shape (docs/providers.md#hms-send). */
function call(tokens: string[], android: object = {}) {
  return {
    data: '{"type":"incoming_call","call_id":"c-123","caller":"+15550100"}',
    android: { urgency: 'HIGH', category: 'VOIP', ttl: '30s', collapse_key: -1, bi_tag: 'call-c-123', ...android },
    token: tokens,
  };
}

const send = (message: object) => post({ message });

function expectResult(answer: RawAnswer, status: number, code: string): void {
  expect(answer.status).toBe(status);
  expect(answer.json).toEqual({ code, msg: expect.any(String), requestId: expect.stringMatching(/^\d{24}$/) });
}

describe('results', () => {
  it('80000000 for a delivered message, recorded once per token without the token list or credential', async () => {
    const answer = await send(call(['tok-a', 'tok-b']));
    expectResult(answer, 200, '80000000');
    expect(answer.json.msg).toBe('Success');
    expect(hms.messages.list().map((m) => m.token)).toEqual(['tok-a', 'tok-b']);
    const [first] = hms.messages.list();
    const { token: _tokens, ...withoutTokens } = call([]);
    expect(first).toMatchObject({ provider: 'hms', payload: withoutTokens });
    expect(first?.headers.authorization).toBeUndefined();
  });

  it('validate_only answers 80000000 and delivers nothing', async () => {
    expectResult(await post({ validate_only: true, message: call(['tok-a']) }), 200, '80000000');
    expect(hms.messages.list()).toEqual([]);
  });

  it('80100000 with the failed tokens inside the msg JSON text when some tokens are dead', async () => {
    hms.behaviours.set('dead', { kind: 'unregistered' });
    hms.behaviours.set('bad', { kind: 'invalid' });
    const answer = await send(call(['ok-1', 'dead', 'ok-2', 'bad']));
    expectResult(answer, 200, '80100000');
    expect(JSON.parse(answer.json.msg)).toEqual({ success: 2, failure: 2, illegal_tokens: ['dead', 'bad'] });
    expect(hms.messages.list().map((m) => m.token)).toEqual(['ok-1', 'ok-2']);
  });

  it('80300007 when every token is dead', async () => {
    hms.behaviours.set('dead', { kind: 'unregistered' });
    const answer = await send(call(['dead']));
    expectResult(answer, 404, '80300007');
    expect(answer.json.msg).toBe('All the tokens are invalid');
  });

  it('accepts topic and condition targets', async () => {
    expectResult(await send({ data: '{}', topic: 'calls' }), 200, '80000000');
    expectResult(await send({ data: '{}', condition: "'a' in topics && 'b' in topics" }), 200, '80000000');
    expect(hms.messages.list().map((m) => m.token)).toEqual(['/topics/calls', "'a' in topics && 'b' in topics"]);
  });
});

describe('request checks', () => {
  it(`takes 1 to ${MAX_TOKENS} tokens (80300010 otherwise), and no message or target is a misplaced one`, async () => {
    const many = Array.from({ length: MAX_TOKENS }, (_, i) => `IQAAAACy0kYkAAAJ-push-token-${i}`);
    expectResult(await send(call(many)), 200, '80000000');
    expectResult(await send(call([...many, 'one-more'])), 400, '80300010');
    expectResult(await send(call([])), 400, '80300010');
    expectResult(await send({ data: '{}' }), 400, '80300010');
    expectResult(await post({ token: ['t'], data: '{}' }), 400, '80300010');
  });

  it('80100001 for more than one kind of target, 80100003 for a token that is not a list', async () => {
    expectResult(await send({ data: '{}', token: ['t'], topic: 'calls' }), 400, '80100001');
    expectResult(await send({ data: '{}', token: 't' }), 400, '80100003');
  });

  it('80100003 for data that is not a string, or a body that is not JSON', async () => {
    expectResult(await send({ ...call(['t']), data: { call_id: 'c-1' } }), 400, '80100003');
    expectResult(await send(call(['t'], { data: { call_id: 'c-1' } })), 400, '80100003');
    expectResult(await post('{"message":'), 400, '80100003');
  });

  it.each(['30s', '86400', '1.5S', '0.000000001', '1296000s'])('accepts android.ttl %s', async (ttl) => {
    expectResult(await send(call(['t'], { ttl })), 200, '80000000');
  });

  it.each(['30m', 'soon', '1296001s', 30])('refuses android.ttl %s with 80100001', async (ttl) => {
    expectResult(await send(call(['t'], { ttl })), 400, '80100001');
  });

  it('80100001 for an unknown urgency', async () => {
    expectResult(await send(call(['t'], { urgency: 'URGENT' })), 400, '80100001');
  });

  it.each([-1, 0, 100])('accepts collapse_key %i', async (collapseKey) => {
    expectResult(await send(call(['t'], { collapse_key: collapseKey })), 200, '80000000');
  });

  it.each([101, -2, 1.5, '3'])('refuses collapse_key %s with 80100013', async (collapseKey) => {
    expectResult(await send(call(['t'], { collapse_key: collapseKey })), 400, '80100013');
  });

  it('80300008 (413) for a body over 4096 bytes, tokens not counted', async () => {
    const longTokens = Array.from({ length: 100 }, (_, i) => `${'x'.repeat(100)}-${i}`);
    expectResult(await send(call(longTokens)), 200, '80000000');
    expectResult(await send({ ...call(['t']), data: JSON.stringify({ blob: 'x'.repeat(4096) }) }), 413, '80300008');
  });

  it('80300011 for HIGH urgency data messages when the app lacks the permission', async () => {
    const restricted = await startHmsEmulator({ highPriorityAllowed: false });
    try {
      expectResult(await post({ message: call(['t']) }, restricted), 403, '80300011');
      expectResult(await post({ message: call(['t'], { urgency: 'NORMAL' }) }, restricted), 200, '80000000');
      const notification = { ...call(['t']), notification: { title: 'Incoming call', body: '+15550100' } };
      expectResult(await post({ message: notification }, restricted), 200, '80000000');
    } finally {
      await restricted.close();
    }
  });
});

describe('notification messages', () => {
  /** A missed-call notice: NORMAL urgency, the data next to a notification that opens the app. */
  const notice = (notification: object = {}, android: object = {}) => ({
    data: '{"callpush":"{}"}',
    android: {
      urgency: 'NORMAL',
      ttl: '21600s',
      collapse_key: -1,
      notification: { title: 'Alice', body: 'Missed call', tag: 'c_42', click_action: { type: 3 }, ...notification },
      ...android,
    },
    token: ['t-notice'],
  });

  it('accepts a notification with the data and shows it: title, body, tag, NORMAL priority', async () => {
    expectResult(await send(notice()), 200, '80000000');
    expect(hms.messages.list()[0]?.device).toEqual({
      priority: 'normal',
      notification: { title: 'Alice', body: 'Missed call', tag: 'c_42', sound: false },
    });
  });

  it('takes the title and body from message.notification when android.notification has none', async () => {
    const message = { ...notice({ title: undefined, body: undefined }), notification: { title: 'A', body: 'B' } };
    expectResult(await send(message), 200, '80000000');
    expect(hms.messages.list()[0]?.device.notification).toMatchObject({ title: 'A', body: 'B' });
  });

  it.each([
    ['no click_action', { click_action: undefined }],
    ['a click_action of an unknown type', { click_action: { type: 9 } }],
    ['an intent click_action without intent or action', { click_action: { type: 1 } }],
    ['a URL click_action without an https URL', { click_action: { type: 2, url: 'http://example.com' } }],
    ['no title', { title: undefined }],
    ['an empty body', { body: '' }],
    ['an unknown importance', { importance: 'URGENT' }],
  ])('80100001 for a notification with %s', async (_name, fields) => {
    expectResult(await send(notice(fields)), 400, '80100001');
    expect(hms.messages.list()).toEqual([]);
  });

  it.each([
    ['a notification that is not an object', { notification: 'Missed call' }],
    ['a tag that is not a string', { notification: { title: 'A', body: 'B', tag: 7, click_action: { type: 3 } } }],
    ['a click_action that is not an object', { notification: { title: 'A', body: 'B', click_action: 3 } }],
    [
      'loc args that are not strings',
      { notification: { title: 'A', body: 'B', body_loc_args: [1], click_action: { type: 3 } } },
    ],
  ])('80100003 for %s', async (_name, android) => {
    expectResult(await send(notice({}, android)), 400, '80100003');
  });

  it('shows a collapse group from 0 to 100 as the collapse key, and -1 as none', async () => {
    await send(call(['t-group'], { collapse_key: 7 }));
    await send(call(['t-none']));
    expect(hms.messages.list({ token: 't-group' })[0]?.device).toEqual({ priority: 'high', collapseKey: '7' });
    expect(hms.messages.list({ token: 't-none' })[0]?.device).toEqual({ priority: 'high' });
  });
});

describe('scripted behaviours', () => {
  it('rate_limited fails the request with a bare 503 (flow control) and Retry-After', async () => {
    hms.behaviours.set('t', { kind: 'rate_limited', retryAfterSeconds: 9 });
    const answer = await send(call(['ok', 't']));
    expect(answer.status).toBe(503);
    expect(answer.json).toBeUndefined();
    expect(answer.headers['retry-after']).toBe('9');
    expect(hms.messages.list()).toEqual([]);
  });

  it('unavailable answers 81000001 (500) for the next request only', async () => {
    hms.behaviours.set('t', { kind: 'unavailable' });
    expectResult(await send(call(['t'])), 500, '81000001');
    expectResult(await send(call(['t'])), 200, '80000000');
  });

  it('auth_expired answers 80200003', async () => {
    hms.behaviours.set('t', { kind: 'auth_expired', count: 1 });
    expectResult(await send(call(['t'])), 401, '80200003');
  });

  it('latency delays the answer', async () => {
    hms.behaviours.set('t', { kind: 'latency', ms: 60 });
    const started = Date.now();
    expectResult(await send(call(['t'])), 200, '80000000');
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
  });

  it('reset drops the connection without an answer; goaway answers with Connection: close', async () => {
    hms.behaviours.set('r', { kind: 'reset', count: 1 });
    await expect(send(call(['r']))).rejects.toMatchObject({ code: 'ECONNRESET' });
    hms.behaviours.set('g', { kind: 'goaway', count: 1 });
    const answer = await send(call(['g']));
    expectResult(answer, 200, '80000000');
    expect(answer.headers.connection).toBe('close');
  });

  it('faults answer any result code, with its table status or another one (clients must read the code)', async () => {
    hms.faults.set('t', { code: '80300002' }, 1);
    expectResult(await send(call(['t'])), 403, '80300002');
    hms.faults.set('t', { code: '81000001', status: 200 }, 1);
    expectResult(await send(call(['t'])), 200, '81000001');
    hms.faults.set('t', { status: 502 }, 1);
    const bare = await send(call(['t']));
    expect(bare.status).toBe(502);
    expect(bare.json).toBeUndefined();
    expectResult(await send(call(['t'])), 200, '80000000');
  });

  it('serves the inspection API over HTTP', async () => {
    const json = { 'content-type': 'application/json' };
    const behaviour = await http1(`${hms.baseUrl}/_emulator/behaviours`, {
      headers: json,
      body: { token: 'dead', behaviour: 'unregistered' },
    });
    expect(behaviour.status).toBe(201);
    const fault = await http1(`${hms.baseUrl}/_emulator/faults`, {
      headers: json,
      body: { token: 'x', code: '80300002' },
    });
    expect(fault.status).toBe(201);
    const badFault = await http1(`${hms.baseUrl}/_emulator/faults`, {
      headers: json,
      body: { token: 'x', code: '123' },
    });
    expect(badFault.json.error).toMatchObject({ field: 'code' });
    expect((await http1(`${hms.baseUrl}/_emulator/faults`, { method: 'GET' })).json.faults).toEqual([
      { token: 'x', fault: { code: '80300002' } },
    ]);
    await send(call(['alive', 'dead']));
    const listed = await http1(`${hms.baseUrl}/_emulator/messages?token=alive`, { method: 'GET' });
    expect(listed.json.messages).toEqual([expect.objectContaining({ token: 'alive', provider: 'hms' })]);
    expect((await http1(`${hms.baseUrl}/_emulator/faults`, { method: 'DELETE' })).status).toBe(204);
    expect(hms.faults.list()).toEqual([]);
  });
});

describe('tls transport', () => {
  it('serves HTTPS with the emulator CA', async () => {
    const secure = await startHmsEmulator({ transport: 'tls' });
    try {
      expect(secure.baseUrl).toMatch(/^https:/);
      const answer = await http1(
        `${secure.pushUrl}/v1/${secure.appId}/messages:send`,
        {
          headers: { authorization: `Bearer ${secure.issueAccessToken().access_token}` },
          body: { message: call(['t']) },
        },
        { ca: secure.tls?.ca ?? '' },
      );
      expect(answer.json.code).toBe('80000000');
    } finally {
      await secure.close();
    }
  });
});
