import { emulatorProviderCredentials } from '@callpush/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../../server/test/support/wait.js';
import { type Call, CallPushClient, CallPushError } from '../src/index.js';
import { fcmData, type Json, record, type Stack, startStack, type TestClient, typeOf } from './support/stack.js';

const NAVIGATE = 'https://app.example/calls/{callId}';

/** The client without the active connection: HTTP, relayed pushes, calls. */
describe('CallPushClient over HTTP, against a gateway and the FCM emulator', () => {
  let stack: Stack;
  let alice: TestClient;
  let bob: TestClient;
  let n = 0;
  /** A fresh FCM token for bob's phone per test, so each test reads only its own pushes. */
  let bobToken = '';

  beforeAll(async () => {
    stack = await startStack();
    alice = await stack.client('alice', { deviceId: 'alice-laptop' });
    bob = await stack.client('bob', { deviceId: 'pixel' });
  });
  afterAll(async () => {
    await stack?.close();
  });

  async function registerBob(): Promise<void> {
    bobToken = `bob-fcm-${++n}`;
    await bob.client.registerPushToken({ provider: 'fcm', token: bobToken, kind: 'alert' });
  }

  /** Alice calls bob and returns the call and the FCM data map that reached bob's phone. */
  async function ring(options: { ringTimeoutSeconds?: number } = {}) {
    await registerBob();
    const outgoing = await alice.client.placeCall({ to: 'bob', video: true, displayName: 'Alice', ...options });
    const data = await until('the ring at the FCM emulator', () =>
      pushesOf(outgoing.callId).find((d) => typeOf(d) === 'call.ring'),
    );
    return { outgoing, data };
  }

  /** The pushes of one call to bob's phone: an earlier test's cancel or missed-call notice may be on its way. */
  const pushesOf = (callId: string) =>
    fcmData(stack, bobToken).filter((d) => JSON.parse(d.callpush ?? '{}').callId === callId);

  const deliveryOf = async (callId: string, type = 'ring') => {
    const call = (await stack.asApp('GET', `/v1/calls/${callId}`)).body;
    return call.deliveries.find((d: Json) => d.deviceId === 'pixel' && d.type === type);
  };

  it('registers and unregisters this device, visible to the app backend', async () => {
    const device = await bob.client.registerPushToken({ provider: 'fcm', token: 'reg-token', kind: 'alert' });
    expect(device).toMatchObject({ deviceId: 'pixel', userId: 'bob', provider: 'fcm', token: 'reg-token' });
    let listed = (await stack.asApp('GET', '/v1/users/bob/devices')).body.devices;
    expect(listed.map((d: Json) => [d.deviceId, d.token, d.kind])).toEqual([['pixel', 'reg-token', 'alert']]);

    await bob.client.unregisterPushToken();
    listed = (await stack.asApp('GET', '/v1/users/bob/devices')).body.devices;
    expect(listed).toEqual([]);
    // Logging out twice is not an error.
    await bob.client.unregisterPushToken();
  });

  it("passes an iPhone's APNs environment, and a Safari's declarative format, which rings it declaratively", async () => {
    const carol = await stack.client('carol', { deviceId: 'iphone' });
    const iphone = await carol.client.registerPushToken({
      registrations: [
        { provider: 'apns', token: 'c1'.repeat(32), kind: 'voip', environment: 'production' },
        { provider: 'apns', token: 'c2'.repeat(32), kind: 'alert', environment: 'production' },
      ],
    });
    expect(iphone.registrations.map((r) => r.environment)).toEqual(['production', 'production']);

    // The app's Web Push credential names the page a declarative notification opens.
    const webpush = { ...emulatorProviderCredentials(stack.emulators.credentials).webpush, navigate: NAVIGATE };
    expect((await stack.asApp('PUT', `/v1/apps/${stack.app.key}/providers/webpush-page`, webpush)).status).toBe(201);
    const { id, ...subscription } = stack.emulators.webpush.createSubscription();
    const dave = await stack.client('dave', { deviceId: 'safari' });
    const safari = await dave.client.registerPushToken({
      provider: 'webpush-page',
      token: JSON.stringify(subscription),
      kind: 'alert',
      format: 'declarative',
    });
    expect(safari.registrations).toEqual([expect.objectContaining({ kind: 'alert', format: 'declarative' })]);
    const listed = (await stack.asApp('GET', '/v1/users/dave/devices')).body.devices;
    expect(listed[0].registrations[0].format).toBe('declarative');

    const outgoing = await alice.client.placeCall({ to: 'dave', displayName: 'Alice' });
    const [push] = await until('the ring at the Web Push emulator', () => {
      const list = stack.emulators.webpush.messages.list({ token: id });
      return list.length > 0 ? list : undefined;
    });
    expect(push!.device).toMatchObject({ notification: { title: 'Alice', tag: outgoing.callId } });
    expect(push!.device).not.toHaveProperty('declarativeError');
    // A service worker handed the push reads the ring inside it.
    const calls = record(dave.client, 'incomingCall');
    expect(dave.client.relayPushPayload(push!.payload)).toMatchObject({ isValid: true, isCall: true });
    expect(calls.map(([c]) => c.callId)).toEqual([outgoing.callId]);
    await outgoing.cancel();
  });

  it("raises the gateway's error as a CallPushError", async () => {
    const error = await bob.client
      .registerPushToken({ provider: 'no-such-credential', token: 't', kind: 'alert' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CallPushError);
    expect(error).toMatchObject({ status: 400 });
    expect((error as CallPushError).code).toMatch(/^[a-z_]+$/);
  });

  it("places a call from alice's client that rings bob's phone", async () => {
    const { outgoing, data } = await ring();
    expect(outgoing.state).toBe('ringing');
    expect(outgoing.to).toEqual(['bob']);
    expect(typeOf(data)).toBe('call.ring');
    expect(JSON.parse(data.callpush!)).toMatchObject({
      callId: outgoing.callId,
      from: 'alice',
      to: 'bob',
      video: true,
    });
    await outgoing.cancel();
    expect(outgoing.state).toBe('cancelled');
  });

  it('turns a relayed FCM ring into one incomingCall and posts its receipt', async () => {
    const { outgoing, data } = await ring();
    const calls = record(bob.client, 'incomingCall');

    const result = bob.client.relayPushPayload(data);
    expect(result).toMatchObject({ isValid: true, isCall: true, isCancel: false });
    expect(calls).toHaveLength(1);
    const call = calls[0]![0];
    expect(call).toMatchObject({
      callId: outgoing.callId,
      remoteUserId: 'alice',
      displayName: 'Alice',
      videoOffered: true,
      state: 'ringing',
    });
    expect(call.expiresAt).toBe(outgoing.expiresAt);

    // The same push again (a duplicate delivery) rings nothing more.
    bob.client.relayPushPayload(data);
    expect(calls).toHaveLength(1);
    await until('the receipt', async () => (await deliveryOf(outgoing.callId))?.state === 'received');
    await outgoing.cancel();
  });

  it('answers: the gateway records the answer by this device', async () => {
    const { outgoing, data } = await ring();
    let call: Call | undefined;
    bob.client.on('incomingCall', (c) => {
      call = c;
    });
    bob.client.relayPushPayload(data);
    const answered = new Promise<void>((resolve) => call!.on('answered', resolve));
    await call!.answer();
    await answered;
    expect(call!.state).toBe('answered');
    const state = (await stack.asApp('GET', `/v1/calls/${outgoing.callId}`)).body;
    expect(state).toMatchObject({ state: 'answered', answeredBy: { userId: 'bob', deviceId: 'pixel' } });
    await outgoing.end();
    expect(outgoing.state).toBe('ended');
  });

  it('declines', async () => {
    const { outgoing, data } = await ring();
    const calls = record(bob.client, 'incomingCall');
    bob.client.relayPushPayload(data);
    const call = calls[0]![0];
    await call.decline();
    expect(call.state).toBe('declined');
    expect((await stack.asApp('GET', `/v1/calls/${outgoing.callId}`)).body.state).toBe('declined');
  });

  it('a relayed cancel emits cancelled on the ringing call', async () => {
    const { outgoing, data } = await ring();
    const calls = record(bob.client, 'incomingCall');
    bob.client.relayPushPayload(data);
    const call = calls[0]![0];
    const reasons: string[] = [];
    call.on('cancelled', (reason) => reasons.push(reason));

    await outgoing.cancel();
    const cancel = await until('the cancel push', () =>
      pushesOf(outgoing.callId).find((d) => typeOf(d) === 'call.cancel'),
    );
    expect(bob.client.relayPushPayload(cancel)).toMatchObject({ isValid: true, isCancel: true });
    expect(reasons).toEqual(['caller_cancelled']);
    expect(call.state).toBe('cancelled');
  });

  it('a cancel that overtakes its ring keeps the late ring from ringing', async () => {
    const { outgoing, data } = await ring();
    await outgoing.cancel();
    const cancel = await until('the cancel push', () =>
      pushesOf(outgoing.callId).find((d) => typeOf(d) === 'call.cancel'),
    );
    const calls = record(bob.client, 'incomingCall');
    bob.client.relayPushPayload(cancel);
    expect(bob.client.relayPushPayload(data)).toMatchObject({ isValid: true, isCall: true });
    expect(calls).toHaveLength(0);
  });

  it('times a call out locally at its deadline', async () => {
    const { outgoing, data } = await ring({ ringTimeoutSeconds: 1 });
    const client = await stack.client('bob', { deviceId: 'pixel', clockSkewMs: 0 });
    const calls = record(client.client, 'incomingCall');
    client.client.relayPushPayload(data);
    const call = calls[0]![0];
    const reason = await new Promise((resolve) => call.on('cancelled', resolve));
    expect(reason).toBe('timeout');
    expect(Date.now()).toBeGreaterThanOrEqual(outgoing.expiresAt);
    // Too late now: the same push reads as timed out and rings nothing.
    expect(client.client.relayPushPayload(data).callResult?.timedOut).toBe(true);
    client.client.disconnect();
  });

  it('ignores data that is not a call push', () => {
    const calls = record(bob.client, 'incomingCall');
    expect(bob.client.relayPushPayload({ title: 'hello' })).toEqual({
      isValid: false,
      isCall: false,
      isCancel: false,
      isMissed: false,
    });
    expect(calls).toHaveLength(0);
  });

  it('asks the token provider again when the gateway refuses its token (401), and retries once', async () => {
    let calls = 0;
    const client = new CallPushClient({ deviceId: 'tablet' });
    await client.connect({
      baseUrl: stack.baseUrl,
      userId: 'carol',
      accessTokenProvider: async (userId) => {
        calls++;
        return calls === 1 ? 'not-a-token' : stack.userToken(userId);
      },
    });
    expect(calls).toBe(1);
    await client.registerPushToken({ provider: 'fcm', token: 'carol-token', kind: 'alert' });
    expect(calls).toBe(2);
    await client.unregisterPushToken();
    expect(calls).toBe(2);
    client.disconnect();
  });

  it('asks the token provider before a request when its token has expired, once for concurrent requests', async () => {
    const tokens = [await stack.oldToken('dave'), await stack.userToken('dave')];
    let calls = 0;
    const client = new CallPushClient({ deviceId: 'phone' });
    await client.connect({ baseUrl: stack.baseUrl, userId: 'dave', accessTokenProvider: async () => tokens[calls++]! });
    await Promise.all([
      client.registerPushToken({ provider: 'fcm', token: 'dave-token', kind: 'alert' }),
      client.registerPushToken({ provider: 'fcm', token: 'dave-token', kind: 'alert' }),
    ]);
    expect(calls).toBe(2);
    client.disconnect();
  });

  it('fails a request when even the fresh token is refused', async () => {
    const client = new CallPushClient({ deviceId: 'phone' });
    await client.connect({ baseUrl: stack.baseUrl, userId: 'eve', accessTokenProvider: async () => 'bad' });
    const error = await client.placeCall({ to: 'bob' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'CallPushError', status: 401 });
    client.disconnect();
  });
});
