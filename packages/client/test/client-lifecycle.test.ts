import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../../server/test/support/wait.js';
import type { Call, CallPushClient, MissedCallNotice, OutgoingCallUpdate } from '../src/index.js';
import { fcmData, record, type Stack, startStack, type TestClient } from './support/stack.js';

/**
 * After the ring (issue 14), against a gateway: two tokens per device, the call's status in the receipt's
 * answer and from `callStatus`, busy declines, missed-call notices by push and over the socket, and an outgoing
 * call following the caller's `call.state` frames.
 */
describe('the client follows the call after the ring, against a gateway', () => {
  let stack: Stack;
  let alice: TestClient;
  let n = 0;

  beforeAll(async () => {
    stack = await startStack({ CALLPUSH_HEARTBEAT_SECONDS: '5', CALLPUSH_ACK_WINDOW_MS: '300' });
    alice = await stack.client('alice', { deviceId: 'alice-laptop' });
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** A client of bob on a new device with a new FCM token, whose pushes the test reads. */
  async function bobDevice(): Promise<{ client: CallPushClient; pushes: () => Array<Record<string, string>> }> {
    const id = ++n;
    const { client } = await stack.client('bob', { deviceId: `bob-${id}` });
    const token = `bob-fcm-${id}`;
    await client.registerPushToken({ provider: 'fcm', token, kind: 'alert' });
    return { client, pushes: () => fcmData(stack, token) };
  }

  /** The push of `type` of one call: bob's earlier calls may still send to his devices in the background. */
  const pushOf = (pushes: () => Array<Record<string, string>>, type: string, callId: string) =>
    until(`the ${type} push`, () =>
      pushes().find((d) => {
        const message = JSON.parse(d.callpush ?? '{}');
        return message.type === type && message.callId === callId;
      }),
    );

  const nextCall = (client: CallPushClient) =>
    new Promise<Call>((resolve) => {
      const off = client.on('incomingCall', (call) => {
        off();
        resolve(call);
      });
    });

  const callState = async (callId: string) => (await stack.asApp('GET', `/v1/calls/${callId}`)).body;

  it('registers a PushKit and an APNs token for one device, and one token again replaces both', async () => {
    const { client } = await stack.client('bob', { deviceId: 'iphone' });
    const voip = 'c0ff'.repeat(16);
    const alert = 'a1e7'.repeat(16);
    const both = await client.registerPushToken({
      registrations: [
        { provider: 'apns', token: voip, kind: 'voip' },
        { provider: 'apns', token: alert, kind: 'alert' },
      ],
      locale: 'de-CH',
    });
    expect(both).toMatchObject({ deviceId: 'iphone', userId: 'bob', token: voip, kind: 'voip', locale: 'de-CH' });
    expect(both.registrations.map((r) => [r.kind, r.token]).sort()).toEqual([
      ['alert', alert],
      ['voip', voip],
    ]);

    const one = await client.registerPushToken({ provider: 'apns', token: alert, kind: 'alert' });
    expect(one.registrations.map((r) => r.kind)).toEqual(['alert']);
    await client.unregisterPushToken();
  });

  it('a ring relayed after another device answered rings, then stops with answered_elsewhere', async () => {
    const phone = await bobDevice();
    const tablet = await bobDevice();
    const outgoing = await alice.client.placeCall({ to: 'bob' });
    const tabletCall = nextCall(tablet.client);
    tablet.client.relayPushPayload(await pushOf(tablet.pushes, 'call.ring', outgoing.callId));
    await (await tabletCall).answer();

    const calls = record(phone.client, 'incomingCall');
    phone.client.relayPushPayload(await pushOf(phone.pushes, 'call.ring', outgoing.callId));
    expect(calls).toHaveLength(1);
    const call = calls[0]![0];
    const reason = await new Promise((resolve) => call.on('cancelled', resolve));
    expect(reason).toBe('answered_elsewhere');
    expect(call.state).toBe('cancelled');
    await outgoing.end();
  });

  it('callStatus tells where a call stands for this device, and stops its ring once the caller hung up', async () => {
    const phone = await bobDevice();
    const outgoing = await alice.client.placeCall({ to: 'bob' });
    const ringing = nextCall(phone.client);
    phone.client.relayPushPayload(await pushOf(phone.pushes, 'call.ring', outgoing.callId));
    const call = await ringing;
    expect(await phone.client.callStatus(outgoing.callId)).toMatchObject({ state: 'ringing', status: 'ringing' });

    await outgoing.cancel();
    const stopped = new Promise((resolve) => call.on('cancelled', resolve));
    expect(await phone.client.callStatus(outgoing.callId)).toMatchObject({
      callId: outgoing.callId,
      state: 'cancelled',
      status: 'cancelled',
    });
    expect(await stopped).toBe('caller_cancelled');
  });

  it('declining as busy makes the call busy when bob is its only callee', async () => {
    const phone = await bobDevice();
    const outgoing = await alice.client.placeCall({ to: 'bob' });
    const ringing = nextCall(phone.client);
    phone.client.relayPushPayload(await pushOf(phone.pushes, 'call.ring', outgoing.callId));
    const call = await ringing;
    await call.decline({ reason: 'busy' });
    expect(call.state).toBe('declined');
    expect(await callState(outgoing.callId)).toMatchObject({ state: 'busy', callees: { bob: 'busy' } });
  });

  it('a missed notice by push reaches the call that rang, or is the client’s missed event', async () => {
    const phone = await bobDevice();
    const outgoing = await alice.client.placeCall({ to: 'bob', displayName: 'Alice' });
    const ringing = nextCall(phone.client);
    phone.client.relayPushPayload(await pushOf(phone.pushes, 'call.ring', outgoing.callId));
    const call = await ringing;
    await until('the ring sent', async () => (await callState(outgoing.callId)).deliveries.length > 0);
    await outgoing.cancel();

    const notice = await pushOf(phone.pushes, 'call.missed', outgoing.callId);
    const told = new Promise<MissedCallNotice>((resolve) => call.on('missed', resolve));
    expect(phone.client.relayPushPayload(notice)).toMatchObject({ isValid: true, isMissed: true });
    expect(await told).toMatchObject({
      callId: outgoing.callId,
      remoteUserId: 'alice',
      displayName: 'Alice',
      missed: { reason: 'caller_cancelled' },
    });
    expect(call.state).toBe('cancelled');

    // Another process of the app that never saw the ring: the notice is the client's own event.
    const { client: fresh } = await stack.client('bob', { deviceId: 'bob-fresh' });
    const missed = record(fresh, 'missed');
    fresh.relayPushPayload(notice);
    expect(missed.map(([m]) => [m.callId, m.missed.reason])).toEqual([[outgoing.callId, 'caller_cancelled']]);
    fresh.disconnect();
  });

  it('a missed notice over the active connection after the ring timed out', async () => {
    const { client } = await stack.client('bob', { deviceId: `bob-socket-${++n}` });
    const connected = new Promise((resolve) => client.on('connected', resolve));
    client.startListeningOnActiveConnection();
    await connected;
    const ringing = nextCall(client);
    const outgoing = await alice.client.placeCall({ to: 'bob', ringTimeoutSeconds: 1 });
    const call = await ringing;
    const notice = await new Promise<MissedCallNotice>((resolve) => call.on('missed', resolve));
    expect(notice).toMatchObject({ callId: outgoing.callId, missed: { reason: 'timeout' }, timedOut: true });
    client.stopListeningOnActiveConnection();
  });

  it('an outgoing call follows the caller’s call.state frames: answered, then ended', async () => {
    const { client: caller } = await stack.client('alice', { deviceId: 'alice-phone' });
    const connected = new Promise((resolve) => caller.on('connected', resolve));
    caller.startListeningOnActiveConnection();
    await connected;
    const phone = await bobDevice();
    const outgoing = await caller.placeCall({ to: 'bob' });
    const updates: OutgoingCallUpdate[] = [];
    outgoing.on('state', (update) => updates.push(update));

    const ringing = nextCall(phone.client);
    phone.client.relayPushPayload(await pushOf(phone.pushes, 'call.ring', outgoing.callId));
    await (await ringing).answer();
    await until('the answered frame', () => outgoing.state === 'answered' || undefined);
    expect(outgoing.callees).toEqual({ bob: 'answered' });
    expect(outgoing.answeredBy).toMatchObject({ userId: 'bob' });

    // Ended by the app's backend: only the frame can tell the caller's OutgoingCall.
    await stack.asApp('POST', `/v1/calls/${outgoing.callId}/end`);
    await until('the ended frame', () => outgoing.state === 'ended' || undefined);
    expect(updates.map((u) => u.state)).toEqual(['answered', 'ended']);
    caller.disconnect();
  });

  it('an outgoing call hears the callee decline without asking', async () => {
    const { client: caller } = await stack.client('alice', { deviceId: 'alice-tab' });
    const connected = new Promise((resolve) => caller.on('connected', resolve));
    caller.startListeningOnActiveConnection();
    await connected;
    const phone = await bobDevice();
    const outgoing = await caller.placeCall({ to: 'bob' });
    const ringing = nextCall(phone.client);
    phone.client.relayPushPayload(await pushOf(phone.pushes, 'call.ring', outgoing.callId));
    await (await ringing).decline();
    await until('the declined frame', () => outgoing.state === 'declined' || undefined);
    expect(outgoing.callees).toEqual({ bob: 'declined' });
    caller.disconnect();
  });
});
