import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openSocket } from '../../server/test/support/socket.js';
import { until } from '../../server/test/support/wait.js';
import type { Call, CallPushClient, ConnectedInfo, DisconnectedInfo } from '../src/index.js';
import { spyingWebSocket, startProxy } from './support/sockets.js';
import { fcmData, type Json, record, type Stack, startStack, typeOf } from './support/stack.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves with the next emission of a connection event. */
function next<K extends 'connected' | 'disconnected'>(
  client: CallPushClient,
  event: K,
): Promise<K extends 'connected' ? ConnectedInfo : DisconnectedInfo> {
  return new Promise((resolve) => {
    const off = client.on(event, (info) => {
      off();
      resolve(info as K extends 'connected' ? ConnectedInfo : DisconnectedInfo);
    });
  });
}

describe('the active connection, against a gateway with 1 s heartbeats', () => {
  let stack: Stack;
  let n = 0;
  let device = '';
  let fcmToken = '';

  beforeAll(async () => {
    stack = await startStack({ CALLPUSH_HEARTBEAT_SECONDS: '1', CALLPUSH_ACK_WINDOW_MS: '300' });
  });
  afterAll(async () => {
    await stack?.close();
  });
  beforeEach(() => {
    n++;
    device = `phone-${n}`;
    fcmToken = `fcm-${n}`;
  });

  /** Bob's client on a fresh device with a fresh FCM token. */
  async function bob(options: { handling?: 'manual' } = {}) {
    const b = await stack.client('bob', { deviceId: device, ...options });
    await b.client.registerPushToken({ provider: 'fcm', token: fcmToken, kind: 'alert' });
    return b;
  }

  async function listen(client: CallPushClient): Promise<ConnectedInfo> {
    const connected = next(client, 'connected');
    client.startListeningOnActiveConnection();
    return connected;
  }

  const callFromAlice = async (body: Json = {}) =>
    (await stack.asApp('POST', '/v1/calls', { from: 'alice', to: ['bob'], ...body })).body;
  const getCall = async (callId: string) => (await stack.asApp('GET', `/v1/calls/${callId}`)).body;
  const ringOf = (call: Json) => call.deliveries.find((d: Json) => d.deviceId === device && d.type === 'ring');
  /**
   * This device's pushes of one call: bob's other calls still send in the background (the cancels and
   * missed-call notices of earlier tests' calls).
   */
  const pushesOf = (callId: string) =>
    fcmData(stack, fcmToken).filter((d) => JSON.parse(d.callpush ?? '{}').callId === callId);

  it('says hello with the device id, answers pings and stays connected', async () => {
    const spy = spyingWebSocket();
    const { client } = await stack.client('bob', { deviceId: device, webSocket: spy.WebSocket });
    const disconnects = record(client, 'disconnected');
    const info = await listen(client);
    expect(info).toMatchObject({ userId: 'bob', deviceId: device, heartbeatMs: 1000, ackWindowMs: 300 });
    expect(spy.sent[0]).toMatchObject({ type: 'hello', deviceId: device });
    await sleep(2600);
    // A loaded machine may send the second ping late: wait for it rather than fail.
    await until('two pings', () => spy.received.filter((f) => f.type === 'ping').length >= 2);
    expect(disconnects).toEqual([]);
    expect(spy.sent.filter((f) => f.type === 'pong').length).toBe(spy.received.filter((f) => f.type === 'ping').length);
    client.disconnect();
  });

  it('rings over the socket: one incomingCall, a receipt on the socket, and no push', async () => {
    const { client } = await bob();
    await listen(client);
    const calls = record(client, 'incomingCall');
    const placed = await callFromAlice({ displayName: 'Alice' });
    await until('the ring', () => calls.length === 1);
    expect(calls[0]![0]).toMatchObject({ callId: placed.callId, remoteUserId: 'alice', displayName: 'Alice' });
    await until('the receipt', async () => ringOf(await getCall(placed.callId))?.state === 'received');
    expect(ringOf(await getCall(placed.callId)).transport).toBe('connection');
    await sleep(500);
    expect(pushesOf(placed.callId)).toEqual([]);
    await stack.asApp('POST', `/v1/calls/${placed.callId}/cancel`);
  });

  it('rings once for a ring that arrives by push and again by socket', async () => {
    const { client } = await bob();
    const calls = record(client, 'incomingCall');
    const placed = await callFromAlice();
    const data = await until('the push', () => pushesOf(placed.callId)[0]);
    client.relayPushPayload(data);
    expect(calls).toHaveLength(1);
    // The catch-up after `ready` brings the same call over the socket.
    const spy = spyingWebSocket();
    const again = await stack.client('bob', { deviceId: device, webSocket: spy.WebSocket });
    const moreCalls = record(again.client, 'incomingCall');
    again.client.relayPushPayload(data);
    await listen(again.client);
    await until('the catch-up ring', () => spy.received.find((f) => f.type === 'call.ring'));
    await sleep(50);
    expect(moreCalls).toHaveLength(1);
    expect(moreCalls[0]![0].callId).toBe(placed.callId);
    await stack.asApp('POST', `/v1/calls/${placed.callId}/cancel`);
  });

  it('cancels over the socket, and answers a call that rang over it', async () => {
    const { client } = await bob();
    await listen(client);
    const calls = record(client, 'incomingCall');
    const first = await callFromAlice();
    await until('the first ring', () => calls.length === 1);
    const cancelled = new Promise((resolve) => calls[0]![0].on('cancelled', resolve));
    await stack.asApp('POST', `/v1/calls/${first.callId}/cancel`);
    expect(await cancelled).toBe('caller_cancelled');

    const second = await callFromAlice();
    await until('the second ring', () => calls.length === 2);
    const call: Call = calls[1]![0];
    await call.answer();
    expect(call.state).toBe('answered');
    expect(await getCall(second.callId)).toMatchObject({ state: 'answered', answeredBy: { deviceId: device } });
  });

  it('in manual handling emits live rings as callNotification; relaying one makes the call', async () => {
    const { client } = await bob({ handling: 'manual' });
    await listen(client);
    const calls = record(client, 'incomingCall');
    const notes = record(client, 'callNotification');
    const placed = await callFromAlice();
    await until('the notification', () => notes.length === 1);
    const [{ result, data }] = notes[0]!;
    expect(result).toMatchObject({ isValid: true, isCall: true, callResult: { callId: placed.callId } });
    expect(calls).toEqual([]);
    // Told about, so it was received: no push falls back.
    await until('the receipt', async () => ringOf(await getCall(placed.callId))?.state === 'received');

    expect(client.relayPushPayload(data).isCall).toBe(true);
    expect(calls).toHaveLength(1);
    expect(calls[0]![0].callId).toBe(placed.callId);

    // The cancel of a call told about but not relayed is told too.
    const other = await callFromAlice();
    await until('the second notification', () => notes.length === 2);
    await stack.asApp('POST', `/v1/calls/${other.callId}/cancel`);
    await until('the cancel notification', () => notes.length === 3);
    expect(notes[2]![0].result).toMatchObject({ isCancel: true, callResult: { callId: other.callId } });
    await stack.asApp('POST', `/v1/calls/${placed.callId}/cancel`);
  });

  it('on 4001 asks the token provider for a fresh token and reconnects at once', async () => {
    let asked = 0;
    const { client, providerCalls } = await stack.client(
      'bob',
      // A backoff this long would show: "at once" is well under it.
      { deviceId: device, reconnect: { minMs: 5000, maxMs: 5000 } },
      { accessTokenProvider: (u) => (++asked === 1 ? Promise.resolve('not-a-token') : stack.userToken(u)) },
    );
    const disconnects = record(client, 'disconnected');
    const started = Date.now();
    await listen(client);
    expect(disconnects.map(([d]) => [d.code, d.willReconnect])).toEqual([[4001, true]]);
    expect(providerCalls()).toBe(2);
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('after two heartbeats of silence closes the socket itself and reconnects', async () => {
    const proxy = await startProxy(Number(new URL(stack.baseUrl).port));
    try {
      const { client } = await stack.client('bob', { deviceId: device }, { baseUrl: proxy.baseUrl });
      await listen(client);
      const disconnected = next(client, 'disconnected');
      const reconnected = next(client, 'connected');
      const frozenAt = Date.now();
      proxy.freeze();
      expect(await disconnected).toEqual({ code: 4000, reason: 'heartbeat timeout', willReconnect: true });
      expect(Date.now() - frozenAt).toBeGreaterThan(1000);
      await reconnected;
      client.stopListeningOnActiveConnection();
    } finally {
      await proxy.close();
    }
  });

  it('sends a fresh token on the open socket before the current one expires', async () => {
    const spy = spyingWebSocket();
    // Issued 28 s ago for 60 s: refreshed at half its lifetime, in about 2 s.
    const tokens = [await stack.oldToken('bob', 28, 60), await stack.userToken('bob')];
    const { client, providerCalls } = await stack.client(
      'bob',
      { deviceId: device, webSocket: spy.WebSocket },
      { accessTokenProvider: async () => tokens.shift() ?? stack.userToken('bob') },
    );
    const disconnects = record(client, 'disconnected');
    await listen(client);
    const ok = await until('auth.ok', () => spy.received.find((f) => f.type === 'auth.ok'), 6000);
    expect(spy.sent.filter((f) => f.type === 'auth')).toHaveLength(1);
    expect(ok.tokenExpiresAt).toBeGreaterThan(Date.now() + 600_000);
    expect(providerCalls()).toBe(2);
    expect(disconnects).toEqual([]);
    client.stopListeningOnActiveConnection();
  });

  it('stops for good when another socket of the same device takes over (4009)', async () => {
    const { client } = await bob();
    const errors = record(client, 'error');
    await listen(client);
    const disconnected = next(client, 'disconnected');
    const other = await openSocket(stack.baseUrl);
    other.send({ type: 'hello', token: await stack.userToken('bob'), deviceId: device });
    expect(await disconnected).toMatchObject({ code: 4009, willReconnect: false });
    expect(errors[0]![0]).toMatchObject({ name: 'CallPushError', code: 'replaced', closeCode: 4009 });
    await sleep(700);
    // No reconnect: the newer socket is still there.
    expect(other.ws.readyState).toBe(other.ws.OPEN);
    other.ws.close();
  });

  it('stops listening on request: rings go by push again', async () => {
    const { client } = await bob();
    await listen(client);
    const disconnected = next(client, 'disconnected');
    client.stopListeningOnActiveConnection();
    expect(await disconnected).toEqual({ code: 1000, reason: 'client stopped', willReconnect: false });
    const placed = await callFromAlice();
    const data = await until('the push', () => pushesOf(placed.callId)[0]);
    expect(typeOf(data)).toBe('call.ring');
    await stack.asApp('POST', `/v1/calls/${placed.callId}/cancel`);
  });

  for (const handling of ['automatic', 'manual'] as const) {
    it(`relaying a Kaleyra-format ring opens the connection, whose catch-up rings the call (${handling})`, async () => {
      const { client } = await bob({ ...(handling === 'manual' ? { handling } : {}) });
      const room = `room_${n}`;
      const placed = await callFromAlice({ headers: { 'kaleyra.roomId': room } });
      const calls = record(client, 'incomingCall');
      const notes = record(client, 'callNotification');
      const connected = next(client, 'connected');
      const body = { event: 'on_call_incoming', room_id: room, data: { initiator: 'alice', users: [] } };
      const result = client.relayPushPayload({ event: 'on_call_incoming', message: JSON.stringify(body) });
      expect(result).toMatchObject({ isValid: true, isCall: true, callResult: { format: 'kaleyra', callId: room } });
      expect(calls).toEqual([]);
      await connected;
      await until('the call', () => calls.length === 1);
      expect(calls[0]![0]).toMatchObject({ callId: placed.callId, roomId: room, remoteUserId: 'alice' });
      expect(notes).toEqual([]);
      await stack.asApp('POST', `/v1/calls/${placed.callId}/cancel`);
    });
  }
});

describe('the active connection when the gateway drops it', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ CALLPUSH_HEARTBEAT_SECONDS: '1' });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('reconnects with backoff, and the catch-up of a call already ringing does not ring it again', async () => {
    const spy = spyingWebSocket();
    const { client } = await stack.client('bob', {
      deviceId: 'tab',
      webSocket: spy.WebSocket,
      reconnect: { minMs: 100, maxMs: 400 },
    });
    const calls = record(client, 'incomingCall');
    const connected = next(client, 'connected');
    client.startListeningOnActiveConnection();
    await connected;
    const placed = (await stack.asApp('POST', '/v1/calls', { from: 'alice', to: ['bob'] })).body;
    await until('the ring', () => calls.length === 1);

    const disconnected = next(client, 'disconnected');
    const reconnected = next(client, 'connected');
    // What a gateway node does on shutdown: every socket closed with 1001.
    stack.gateway.hub.close();
    expect(await disconnected).toMatchObject({ code: 1001, willReconnect: true });
    await reconnected;
    await until('the catch-up ring', () => spy.received.filter((f) => f.type === 'call.ring').length === 2);
    await sleep(50);
    expect(calls).toHaveLength(1);
    expect(calls[0]![0].callId).toBe(placed.callId);
    client.stopListeningOnActiveConnection();
  });
});
