import { describe, expect, it } from 'vitest';
import type { Call, CallPushClient, MissedCallNotice, OutgoingCallUpdate } from '../src/index.js';
import { scriptedGateway, settle } from './support/scripted-gateway.js';

/**
 * What the client does with the gateway's answers after the ring (issue 14): two-token registration, the call
 * status in a receipt's answer and from `callStatus`, missed notices, busy declines, and the caller's
 * `call.state` frames. The gateway is scripted, so each answer is exactly the one under test.
 */

const now = Date.now();
const ringOf = (callId: string) => ({
  v: 1,
  type: 'call.ring',
  callId,
  app: 'app_1',
  from: 'alice',
  to: 'bob',
  displayName: 'Alice',
  video: false,
  headers: {},
  sentAt: now,
  expiresAt: now + 30_000,
});
const missedOf = (callId: string, reason = 'timeout') => ({
  ...ringOf(callId),
  type: 'call.missed',
  headers: undefined,
  reason,
  callStartedAt: now - 30_000,
  expiresAt: now + 86_400_000,
  text: { title: 'Missed call', body: 'Alice' },
});
const fcm = (message: object) => ({ callpush: JSON.stringify(message) });
const receiptRoute = (callId: string) => `POST /v1/calls/${callId}/receipts`;
const statusOf = (callId: string, status: string, state = status) => ({ callId, state, status });

function incoming(client: CallPushClient): Call[] {
  const calls: Call[] = [];
  client.on('incomingCall', (call) => calls.push(call));
  return calls;
}

function stops(call: Call): string[] {
  const seen: string[] = [];
  call.on('cancelled', (reason) => seen.push(`cancelled:${reason}`));
  call.on('answered', () => seen.push('answered'));
  call.on('missed', (notice) => seen.push(`missed:${notice.missed.reason}`));
  return seen;
}

describe('registering push tokens', () => {
  it('sends one token in the original body, and two as registrations, with only the fields the gateway knows', async () => {
    const gateway = scriptedGateway();
    const device = {
      deviceId: 'pixel',
      userId: 'bob',
      provider: 'apns-voip',
      providerType: 'apns',
      token: 'voip-token',
      kind: 'voip',
      locale: 'de-CH',
      registrations: [
        { provider: 'apns-voip', providerType: 'apns', token: 'voip-token', kind: 'voip' },
        { provider: 'apns', providerType: 'apns', token: 'alert-token', kind: 'alert' },
      ],
      createdAt: now,
      registeredAt: now,
    };
    gateway.answer('PUT /v1/me/devices/pixel', { body: device });
    const client = await gateway.client();

    await client.registerPushToken({ provider: 'fcm', token: 'fcm-token', kind: 'alert' });
    await client.registerPushToken({ provider: 'fcm', token: 'fcm-token', kind: 'alert', locale: 'fr' });
    const voip = { provider: 'apns-voip', token: 'voip-token', kind: 'voip' as const, note: 'the app’s own' };
    const answer = await client.registerPushToken({
      registrations: [voip, { provider: 'apns', token: 'alert-token', kind: 'alert' }],
      locale: 'de-CH',
    });

    expect(gateway.requests.map((r) => r.body)).toEqual([
      { provider: 'fcm', token: 'fcm-token', kind: 'alert' },
      { provider: 'fcm', token: 'fcm-token', kind: 'alert', locale: 'fr' },
      {
        registrations: [
          { provider: 'apns-voip', token: 'voip-token', kind: 'voip' },
          { provider: 'apns', token: 'alert-token', kind: 'alert' },
        ],
        locale: 'de-CH',
      },
    ]);
    expect(answer.registrations.map((r) => r.kind)).toEqual(['voip', 'alert']);
  });
});

describe('the call status in the receipt’s answer', () => {
  const cases: Array<[status: string, state: string, events: string[], callState: string]> = [
    ['ringing', 'ringing', [], 'ringing'],
    ['answered', 'answered', ['answered'], 'answered'],
    ['answered_elsewhere', 'answered', ['cancelled:answered_elsewhere'], 'cancelled'],
    ['declined', 'declined', ['cancelled:declined'], 'cancelled'],
    ['busy', 'busy', ['cancelled:busy'], 'cancelled'],
    ['cancelled', 'cancelled', ['cancelled:caller_cancelled'], 'cancelled'],
    ['timed_out', 'timed_out', ['cancelled:timeout'], 'cancelled'],
    ['ended', 'ended', ['cancelled:ended'], 'cancelled'],
  ];
  for (const [status, state, events, callState] of cases) {
    it(`status ${status}: a relayed ring rings at once, then ${events.join(', ') || 'goes on ringing'}`, async () => {
      const gateway = scriptedGateway();
      const callId = `c_${status}`;
      gateway.answer(receiptRoute(callId), {
        body: { deliveryId: 'd_1', state: 'received', call: statusOf(callId, status, state) },
      });
      const client = await gateway.client();
      const calls = incoming(client);

      client.relayPushPayload(fcm(ringOf(callId)));
      // Rung before the answer: iOS needs the VoIP push reported at once.
      expect(calls).toHaveLength(1);
      const seen = stops(calls[0]!);
      await settle();

      expect(gateway.requests).toEqual([
        { method: 'POST', path: `/v1/calls/${callId}/receipts`, body: { deviceId: 'pixel' } },
      ]);
      expect(seen).toEqual(events);
      expect(calls[0]!.state).toBe(callState);
      // The same push again (a duplicate delivery) neither rings nor posts another receipt.
      client.relayPushPayload(fcm(ringOf(callId)));
      expect(calls).toHaveLength(1);
      expect(gateway.requests).toHaveLength(1);
      client.disconnect();
    });
  }

  it('keeps ringing on an answer without a status (an older gateway) or with a status it cannot read', async () => {
    const gateway = scriptedGateway();
    const answers: Record<string, unknown> = {
      c_old: { deliveryId: 'd_1', state: 'received' },
      c_other: { call: statusOf('c_someone_else', 'cancelled') },
      c_unknown: { call: statusOf('c_unknown', 'vanished') },
      c_hostile: { call: { callId: 'c_hostile', state: 'ended', status: 'ended', endReason: { toString: 1 } } },
    };
    for (const [callId, body] of Object.entries(answers)) gateway.answer(receiptRoute(callId), { body });
    const client = await gateway.client();
    const calls = incoming(client);
    for (const callId of Object.keys(answers)) client.relayPushPayload(fcm(ringOf(callId)));
    await settle();
    expect(calls.map((c) => [c.callId, c.state])).toEqual(Object.keys(answers).map((id) => [id, 'ringing']));
    client.disconnect();
  });

  it('sends the receipt over the socket when it is open, and no HTTP request', async () => {
    const gateway = scriptedGateway();
    const client = await gateway.client({ listen: true });
    client.relayPushPayload(fcm(ringOf('c_socket')));
    await settle();
    expect(gateway.sent.at(-1)).toEqual({ type: 'receipt', callId: 'c_socket' });
    expect(gateway.requests).toEqual([]);
    client.disconnect();
  });
});

describe('callStatus', () => {
  it('asks for this device, returns the status and stops the ring of a call that is over', async () => {
    const gateway = scriptedGateway();
    gateway.answer('GET /v1/calls/c_1/status?deviceId=pixel', {
      body: { callId: 'c_1', state: 'answered', status: 'answered_elsewhere' },
    });
    const client = await gateway.client();
    const calls = incoming(client);
    client.relayPushPayload(fcm(ringOf('c_1')));
    const seen = stops(calls[0]!);

    expect(await client.callStatus('c_1')).toEqual({ callId: 'c_1', state: 'answered', status: 'answered_elsewhere' });
    expect(seen).toEqual(['cancelled:answered_elsewhere']);
    client.disconnect();
  });

  it('keeps a ring it learns is over from ever ringing', async () => {
    const gateway = scriptedGateway();
    gateway.answer('GET /v1/calls/c_2/status?deviceId=pixel', {
      body: { ...statusOf('c_2', 'timed_out'), endReason: 'timeout' },
    });
    const client = await gateway.client();
    const calls = incoming(client);
    expect(await client.callStatus('c_2')).toMatchObject({ status: 'timed_out', endReason: 'timeout' });
    expect(client.relayPushPayload(fcm(ringOf('c_2'))).isCall).toBe(true);
    expect(calls).toEqual([]);
    client.disconnect();
  });

  it('rejects an answer that is no status of the call', async () => {
    const gateway = scriptedGateway();
    gateway.answer('GET /v1/calls/c_3/status?deviceId=pixel', { body: statusOf('c_4', 'ringing') });
    gateway.answer('GET /v1/calls/c_5/status?deviceId=pixel', {
      status: 404,
      body: { error: { code: 'call_not_found', message: 'no' } },
    });
    const client = await gateway.client();
    await expect(client.callStatus('c_3')).rejects.toMatchObject({ name: 'CallPushError', code: 'invalid_response' });
    await expect(client.callStatus('c_5')).rejects.toMatchObject({ status: 404, code: 'call_not_found' });
    client.disconnect();
  });
});

describe('missed-call notices', () => {
  it('go to the call that rang here: a ring still showing is cancelled first, and the notice is told once', async () => {
    const gateway = scriptedGateway();
    const client = await gateway.client({ listen: true });
    const calls = incoming(client);
    const clientMissed: MissedCallNotice[] = [];
    client.on('missed', (notice) => clientMissed.push(notice));
    gateway.frame(ringOf('c_1'));
    expect(calls).toHaveLength(1);
    const seen = stops(calls[0]!);
    let notice: MissedCallNotice | undefined;
    calls[0]!.on('missed', (n) => {
      notice = n;
    });

    gateway.frame(missedOf('c_1'));
    client.relayPushPayload(fcm(missedOf('c_1')));

    expect(seen).toEqual(['cancelled:timeout', 'missed:timeout']);
    expect(notice).toMatchObject({
      callId: 'c_1',
      remoteUserId: 'alice',
      displayName: 'Alice',
      missed: { reason: 'timeout', callStartedAt: now - 30_000 },
      text: { title: 'Missed call', body: 'Alice' },
    });
    expect(clientMissed).toEqual([]);
    client.disconnect();
  });

  it('after a cancel, the call that rang still hears of the notice', async () => {
    const gateway = scriptedGateway();
    const client = await gateway.client({ listen: true });
    const calls = incoming(client);
    gateway.frame(ringOf('c_2'));
    const seen = stops(calls[0]!);
    gateway.frame({ ...ringOf('c_2'), type: 'call.cancel', reason: 'caller_cancelled', headers: undefined });
    gateway.frame(missedOf('c_2', 'caller_cancelled'));
    expect(seen).toEqual(['cancelled:caller_cancelled', 'missed:caller_cancelled']);
    client.disconnect();
  });

  it('without a prior ring are the client’s missed event, once; a ring arriving after never rings', async () => {
    const gateway = scriptedGateway();
    const client = await gateway.client({ handling: 'manual', listen: true });
    const calls = incoming(client);
    const missed: MissedCallNotice[] = [];
    client.on('missed', (notice) => missed.push(notice));

    const result = client.relayPushPayload(fcm(missedOf('c_3', 'caller_cancelled')));
    gateway.frame(missedOf('c_3', 'caller_cancelled'));
    client.relayPushPayload(fcm(ringOf('c_3')));

    expect(result).toMatchObject({ isValid: true, isCall: false, isCancel: false, isMissed: true });
    expect(missed.map((n) => [n.callId, n.missed.reason])).toEqual([['c_3', 'caller_cancelled']]);
    expect(calls).toEqual([]);
    client.disconnect();
  });
});

describe('declining', () => {
  it('as busy tells the gateway the reason; a plain decline does not', async () => {
    const gateway = scriptedGateway();
    const client = await gateway.client();
    const calls = incoming(client);
    client.relayPushPayload(fcm(ringOf('c_busy')));
    client.relayPushPayload(fcm(ringOf('c_plain')));
    const declined: string[] = [];
    for (const call of calls) call.on('declined', () => declined.push(call.callId));

    await calls[0]!.decline({ reason: 'busy' });
    await calls[1]!.decline();

    const bodies = gateway.requests.filter((r) => r.path.endsWith('/decline')).map((r) => [r.path, r.body]);
    expect(bodies).toEqual([
      ['/v1/calls/c_busy/decline', { deviceId: 'pixel', reason: 'busy' }],
      ['/v1/calls/c_plain/decline', { deviceId: 'pixel' }],
    ]);
    expect(calls.map((c) => c.state)).toEqual(['declined', 'declined']);
    expect(declined).toEqual(['c_busy', 'c_plain']);
    client.disconnect();
  });
});

describe('an outgoing call follows the call.state frames', () => {
  const placed = {
    callId: 'c_out',
    state: 'ringing',
    from: 'bob',
    to: ['alice', 'carol'],
    callees: { alice: 'ringing', carol: 'ringing' },
    expiresAt: now + 30_000,
  };
  const frame = (updatedAt: number, fields: Record<string, unknown>) => ({
    type: 'call.state',
    callId: 'c_out',
    state: 'ringing',
    callees: { alice: 'ringing', carol: 'ringing' },
    updatedAt,
    ...fields,
  });

  async function place(answer: object = placed) {
    const gateway = scriptedGateway();
    gateway.answer('POST /v1/calls', { status: 201, body: answer });
    const client = await gateway.client({ listen: true });
    const outgoing = await client.placeCall({ to: ['alice', 'carol'] });
    const updates: OutgoingCallUpdate[] = [];
    outgoing.on('state', (update) => updates.push(update));
    return { gateway, client, outgoing, updates };
  }

  it('updates state and callees frame by frame, dropping older frames and other calls’ frames', async () => {
    const { gateway, client, outgoing, updates } = await place();
    expect([outgoing.state, outgoing.callees]).toEqual(['ringing', placed.callees]);

    gateway.frame(frame(now + 2, { callees: { alice: 'busy', carol: 'ringing' } }));
    // Overtaken on the way (frames of one call may come from two nodes): older than what was applied.
    gateway.frame(frame(now + 1, { callees: { alice: 'declined', carol: 'ringing' } }));
    gateway.frame(
      frame(now + 3, {
        state: 'answered',
        callees: { alice: 'busy', carol: 'answered' },
        answeredBy: { userId: 'carol', deviceId: 'tab' },
      }),
    );
    // A ringing frame after the answer, as an older word would say: the call does not go back.
    gateway.frame(frame(now + 3, { callees: { alice: 'declined', carol: 'ringing' } }));
    gateway.frame({ ...frame(now + 4, { state: 'ended' }), callId: 'c_other' });
    // Nothing changed: no event.
    gateway.frame(
      frame(now + 5, {
        state: 'answered',
        callees: { carol: 'answered', alice: 'busy' },
        answeredBy: { userId: 'carol', deviceId: 'tab' },
      }),
    );

    expect(updates).toEqual([
      { state: 'ringing', callees: { alice: 'busy', carol: 'ringing' } },
      {
        state: 'answered',
        callees: { alice: 'busy', carol: 'answered' },
        answeredBy: { userId: 'carol', deviceId: 'tab' },
      },
    ]);
    expect(outgoing).toMatchObject({ state: 'answered', answeredBy: { userId: 'carol', deviceId: 'tab' } });

    gateway.frame(
      frame(now + 6, { state: 'ended', callees: { alice: 'busy', carol: 'answered' }, endReason: 'ended' }),
    );
    expect(outgoing).toMatchObject({ state: 'ended', endReason: 'ended' });
    // Over: nothing moves it any more.
    gateway.frame(frame(now + 7, { state: 'ringing' }));
    expect(outgoing.state).toBe('ended');
    expect(updates).toHaveLength(3);
    client.disconnect();
  });

  it('ignores frames it cannot read', async () => {
    const { gateway, client, outgoing, updates } = await place();
    for (const bad of [
      frame(now + 1, { state: 'exploded' }),
      frame(now + 1, { callees: { alice: 'sleeping' } }),
      frame(now + 1, { callees: 'alice' }),
      frame(now + 1, { answeredBy: { userId: 7 } }),
      frame(now + 1, { endReason: 42 }),
      frame(1.5, { state: 'declined' }),
      { ...frame(now + 1, { state: 'declined' }), callId: '' },
    ]) {
      gateway.frame(bad);
    }
    expect(updates).toEqual([]);
    expect(outgoing.state).toBe('ringing');
    client.disconnect();
  });

  it('takes its own request’s answer as well, and tells it the same way', async () => {
    const { gateway, client, outgoing, updates } = await place();
    gateway.answer('POST /v1/calls/c_out/cancel', {
      body: { ...placed, state: 'cancelled', endReason: 'caller_cancelled' },
    });
    await outgoing.cancel();
    // The frame of the same change, after the answer: already known.
    gateway.frame(frame(now + 1, { state: 'cancelled', endReason: 'caller_cancelled' }));
    expect(updates).toEqual([{ state: 'cancelled', callees: placed.callees, endReason: 'caller_cancelled' }]);
    client.disconnect();
  });

  it('is busy from the start when every callee is in another call', async () => {
    const { gateway, client, outgoing, updates } = await place({
      ...placed,
      state: 'busy',
      callees: { alice: 'busy', carol: 'busy' },
    });
    expect(outgoing.state).toBe('busy');
    expect(outgoing.callees).toEqual({ alice: 'busy', carol: 'busy' });
    gateway.frame(frame(now + 1, { state: 'answered' }));
    expect(updates).toEqual([]);
    client.disconnect();
  });
});
