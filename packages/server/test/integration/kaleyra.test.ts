import { type Emulators, type KaleyraEmulator, startEmulators, startKaleyraEmulator } from '@callpush/emulators';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emulatorProviderCredentials } from '../../src/edges/sandbox/index.js';
import { bandyerSignature, isKaleyraPushNotificationPayload } from '../../src/integrations/kaleyra/index.js';
import { ADMIN_TOKEN, basic, type EngineName, startTestGateway, type TestGateway } from '../support/gateway.js';
import { type CallOptions, request } from '../support/http.js';
import { postgresAvailable } from '../support/services.js';

const engines: EngineName[] = ['sqlite', ...((await postgresAvailable()) ? (['postgres'] as const) : [])];

const SECRET = 'kaleyra-webhook-secret-0123456789';
const STANDARD_SECRET = `whsec_${Buffer.from('standard-webhooks-key-0123456789').toString('base64')}`;

/** Kaleyra's documented example `on_call_incoming` body (usr_123 calls usr_999), in a room of the test's choosing. */
function seedBody(room: string, callType = 'audio_upgradable'): string {
  return JSON.stringify({
    event: 'on_call_incoming',
    room_id: room,
    data: {
      initiator: 'usr_123',
      users: [
        { user: { userAlias: 'usr_123' }, status: 'invited' },
        { user: { userAlias: 'usr_999' }, status: 'invited' },
      ],
      roomAlias: room,
      options: {
        duration: 0,
        record: true,
        recordingType: 'automatic',
        recording: 'automatic',
        creationDate: '2022-05-26T09:04:38.097Z',
        callType,
        live: true,
      },
    },
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => T | undefined | false, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

let rooms = 0;
const newRoom = () => `room_${Date.now().toString(36)}${++rooms}`;

describe.each(engines)('Kaleyra webhooks on %s, through the emulators', (engine) => {
  let emu: Emulators;
  let kaleyra: KaleyraEmulator;
  let gw: TestGateway;
  let app: { key: string; secret: string };
  const call = (method: string, path: string, opts?: CallOptions) => request(gw.url, method, path, opts);
  const appAuth = () => basic(app.key, app.secret);
  const tokens = {
    usr_999: { fcm: 'usr999-fcm-token', hms: 'usr999-hms-token' },
    usr_123: { fcm: 'usr123-fcm-token', hms: 'usr123-hms-token' },
  };

  const configure = async (body: Record<string, unknown>) => {
    const r = await call('PUT', `/v1/apps/${app.key}/webhooks/kaleyra`, { auth: appAuth(), body });
    expect(r.status, r.text).toBeLessThan(300);
    return r;
  };

  /** Posts `raw` as Kaleyra would, signed with bandyer-signature at `t` (default now). */
  const deliver = (raw: string, opts: { t?: number; sign?: string; headers?: Record<string, string> } = {}) => {
    const t = opts.t ?? Math.floor(Date.now() / 1000);
    const v0 = bandyerSignature(SECRET, t, Buffer.from(opts.sign ?? raw));
    return call('POST', `/v1/webhooks/kaleyra/${app.key}`, {
      raw,
      headers: opts.headers ?? { 'bandyer-signature': `t=${t},v0=${v0}` },
    });
  };

  const fcmTo = (user: keyof typeof tokens) => emu.fcm.messages.list({ token: tokens[user].fcm });
  const hmsTo = (user: keyof typeof tokens) => emu.hms.messages.list({ token: tokens[user].hms });
  // biome-ignore lint/suspicious/noExplicitAny: recorded provider bodies, asserted field by field
  const fcmData = (m: { payload: unknown }) => (m.payload as any).data as Record<string, string>;
  // biome-ignore lint/suspicious/noExplicitAny: recorded provider bodies, asserted field by field
  const hmsData = (m: { payload: unknown }) => (m.payload as any).data as string;
  /** What a push is of: the call id of a v1 message, or the room of a Kaleyra-format ring (which has no call id). */
  const subjectOf = (data: Record<string, string>): string | undefined => {
    if (data.callpush !== undefined) return JSON.parse(data.callpush).callId;
    if (data.message === undefined) return undefined;
    const message = JSON.parse(data.message);
    return message.room_id ?? message.kaleyra?.payload?.room_id;
  };
  /**
   * The pushes to `user` of one call, named by its room and call id: the calls of earlier tests still send to
   * usr_999 in the background (cancels and missed-call notices, timeouts of calls left ringing).
   */
  const fcmOf = (user: keyof typeof tokens, of: string[]) =>
    fcmTo(user).filter((m) => of.includes(subjectOf(fcmData(m)) ?? ''));
  const hmsOf = (user: keyof typeof tokens, of: string[]) =>
    hmsTo(user).filter((m) => of.includes(subjectOf(JSON.parse(hmsData(m))) ?? ''));

  beforeAll(async () => {
    emu = await startEmulators();
    kaleyra = await startKaleyraEmulator();
    gw = await startTestGateway(engine, {}, { providerCa: emu.tls.ca });
    app = (await call('POST', '/v1/apps', { auth: `Bearer ${ADMIN_TOKEN}`, body: { name: 'kaleyra' } })).body;
    const { fcm, hms } = emulatorProviderCredentials(emu.credentials);
    const providers = { fcm, hms };
    for (const [name, body] of Object.entries(providers)) {
      const r = await call('PUT', `/v1/apps/${app.key}/providers/${name}`, { auth: appAuth(), body });
      expect(r.status, r.text).toBe(201);
    }
    for (const [user, devices] of Object.entries(tokens)) {
      const token = (await call('POST', `/v1/users/${user}/access-tokens`, { auth: appAuth() })).body.accessToken;
      for (const provider of ['fcm', 'hms'] as const) {
        const r = await call('PUT', `/v1/me/devices/${provider}-phone`, {
          auth: `Bearer ${token}`,
          body: { provider, token: devices[provider], kind: 'alert' },
        });
        expect(r.status, r.text).toBeLessThan(300);
      }
    }
  });
  afterAll(async () => {
    await gw?.stop();
    await kaleyra?.close();
    await emu?.close();
  });
  beforeEach(async () => {
    emu.fcm.messages.clear();
    emu.hms.messages.clear();
    await configure({ secret: SECRET, scheme: 'bandyer', payloadFormat: 'kaleyra' });
  });

  it('rings the invited users but the initiator, in the Kaleyra format the native SDK recognises', async () => {
    const room = newRoom();
    const raw = seedBody(room);
    const r = await deliver(raw);
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({ event: 'on_call_incoming', action: 'rang' });
    const of = [room, r.body.callId];
    const [fcm] = await until('the FCM ring', () => fcmOf('usr_999', of).length === 1 && fcmOf('usr_999', of));
    const [hms] = await until('the HMS ring', () => hmsOf('usr_999', of).length === 1 && hmsOf('usr_999', of));
    expect(fcmData(fcm!)).toEqual({ event: 'on_call_incoming', message: raw });
    // The SDK serialises all the intent extras and looks for the event name (docs/providers.md#kaleyra-sdk-payloads).
    expect(isKaleyraPushNotificationPayload(JSON.stringify(fcmData(fcm!)))).toBe(true);
    expect(isKaleyraPushNotificationPayload(hmsData(hms!))).toBe(true);
    expect(JSON.parse(hmsData(hms!))).toEqual({ event: 'on_call_incoming', message: raw });
    expect(fcmOf('usr_123', of)).toHaveLength(0);
    expect(hmsOf('usr_123', of)).toHaveLength(0);

    const placed = await call('GET', `/v1/calls/${r.body.callId}`, { auth: appAuth() });
    expect(placed.body).toMatchObject({ from: 'usr_123', video: false, state: 'ringing' });
    expect(Object.keys(placed.body.callees)).toEqual(['usr_999']);
  });

  it('rings once for a webhook delivered three times', async () => {
    const room = newRoom();
    const raw = seedBody(room);
    const answers = [await deliver(raw), await deliver(raw), await deliver(raw)];
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(answers.map((a) => a.body.action)).toEqual(['rang', 'duplicate', 'duplicate']);
    expect(new Set(answers.map((a) => a.body.callId)).size).toBe(1);
    // Re-signed retries (a new t) and concurrent ones are the same event too.
    const again = await Promise.all([deliver(raw, { t: Math.floor(Date.now() / 1000) - 5 }), deliver(raw)]);
    expect(again.map((a) => a.body.action)).toEqual(['duplicate', 'duplicate']);
    const of = [room, answers[0]!.body.callId];
    await until('the FCM ring', () => fcmOf('usr_999', of).length === 1);
    await until('the HMS ring', () => hmsOf('usr_999', of).length === 1);
    // Time for a second ring, had a duplicate sent one.
    await sleep(200);
    expect(fcmOf('usr_999', of)).toHaveLength(1);
    expect(hmsOf('usr_999', of)).toHaveLength(1);
  });

  it('refuses an altered body, an old or missing signature, and an unconfigured app', async () => {
    const room = newRoom();
    const raw = seedBody(room);
    const altered = raw.replace('usr_999', 'usr_998');
    expect((await deliver(altered, { sign: raw })).status).toBe(401);
    const tenMinutesAgo = Math.floor(Date.now() / 1000) - 600;
    const old = await deliver(raw, { t: tenMinutesAgo });
    expect(old.status).toBe(401);
    expect(old.body.error.code).toBe('invalid_webhook_signature');
    expect((await deliver(raw, { headers: {} })).status).toBe(401);
    expect((await deliver(raw, { headers: { 'bandyer-signature': 't=1,v0=zz' } })).status).toBe(401);
    const other = await call('POST', '/v1/webhooks/kaleyra/app_unknown', { raw });
    expect(other.status).toBe(401);
    await sleep(100);
    expect(fcmOf('usr_999', [room])).toHaveLength(0);
  });

  it('answers 400 naming the field for a signed but malformed body', async () => {
    const noRoom = await deliver(JSON.stringify({ event: 'on_call_incoming', data: {} }));
    expect(noRoom.status).toBe(400);
    expect(noRoom.body.error.field).toBe('room_id');
    const badUser = JSON.parse(seedBody(newRoom()));
    badUser.data.users[1].user = {};
    const users = await deliver(JSON.stringify(badUser));
    expect(users.body.error.field).toBe('data.users.1.user.userAlias');
    expect((await deliver('not json')).body.error.field).toBe('body');
  });

  it('acknowledges events named like Object.prototype members instead of failing on them', async () => {
    for (const event of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      const r = await deliver(JSON.stringify({ event, room_id: newRoom(), data: { caller_id: 'usr_123' } }));
      expect([r.status, r.body.action], `${event}: ${r.text}`).toEqual([200, 'ignored']);
    }
  });

  it('refuses an invitation of more than 50 callees, or of ids outside the id rule, ringing nobody', async () => {
    const invite = (aliases: string[], room = newRoom()) => {
      const body = JSON.parse(seedBody(room));
      body.data.users = [
        { user: { userAlias: 'usr_123' }, status: 'invited' },
        ...aliases.map((userAlias) => ({ user: { userAlias }, status: 'invited' })),
      ];
      return deliver(JSON.stringify(body));
    };
    const crowd = await invite(Array.from({ length: 1000 }, (_, i) => `usr_${i + 1000}`));
    expect([crowd.status, crowd.body.error?.field], crowd.text).toEqual([400, 'data.users']);
    const fiftyRoom = newRoom();
    const fifty = await invite([...Array.from({ length: 49 }, (_, i) => `usr_${i + 1000}`), 'usr_999'], fiftyRoom);
    expect([fifty.status, fifty.body.action]).toEqual([200, 'rang']);
    for (const alias of ['usr 1', 'usr/1', '../admin', 'x'.repeat(129)]) {
      const r = await invite(['usr_999', alias]);
      expect([r.status, r.body.error?.field], alias).toEqual([400, 'data.users.2.user.userAlias']);
    }
    const body = JSON.parse(seedBody(newRoom()));
    body.data.initiator = 'usr 123';
    const initiator = await deliver(JSON.stringify(body));
    expect([initiator.status, initiator.body.error?.field]).toEqual([400, 'data.initiator']);
    const ofFifty = [fiftyRoom, fifty.body.callId];
    await until('the ring of the 50', () => fcmOf('usr_999', ofFifty).length === 1);
    await sleep(200);
    expect(fcmOf('usr_999', ofFifty)).toHaveLength(1);
  });

  it('acknowledges and records events it does not act on', async () => {
    const raw = JSON.stringify({ event: 'on_room_closed', room_id: 'room_x' });
    expect((await deliver(raw)).body).toEqual({ event: 'on_room_closed', action: 'ignored' });
    expect((await deliver(raw)).body).toEqual({ event: 'on_room_closed', action: 'duplicate' });
  });

  it('stops the ring on on_missed_call, by room or by caller', async () => {
    const room = newRoom();
    const rang = await deliver(seedBody(room));
    await until('the ring', () => fcmOf('usr_999', [room, rang.body.callId]).length === 1);
    const missed = await deliver(JSON.stringify({ event: 'on_missed_call', room_id: room }));
    expect(missed.body).toMatchObject({ action: 'cancelled', callId: rang.body.callId });
    const state = await call('GET', `/v1/calls/${rang.body.callId}`, { auth: appAuth() });
    expect(state.body.state).toBe('timed_out');
    // The cancel goes in the v1 format whatever the app's format: the Kaleyra SDK learns the end itself.
    const cancelOf = (callId: string) =>
      fcmTo('usr_999')
        .map((m) => fcmData(m).callpush)
        .filter((c) => c !== undefined)
        .map((c) => JSON.parse(c))
        .find((c) => c.type === 'call.cancel' && c.callId === callId);
    expect(await until('the cancel', () => cancelOf(rang.body.callId))).toMatchObject({ reason: 'timeout' });

    // The first call was missed, so usr_999 also gets its call.missed notice: wait for the second ring itself.
    const second = await deliver(seedBody(newRoom()));
    await until('the second ring', () =>
      fcmTo('usr_999').some((m) => JSON.stringify(m.payload).includes(second.body.callId)),
    );
    const byCaller = await deliver(
      JSON.stringify({
        event: 'on_missed_call',
        data: { caller_id: 'usr_123', called_users: [{ user_id: 'usr_999', status: 'not_answered' }] },
      }),
    );
    expect(byCaller.body).toMatchObject({ action: 'cancelled', callId: second.body.callId });
    await until('the second cancel', () => cancelOf(second.body.callId));
  });

  it('accepts the Standard Webhooks scheme, here with the callpush format', async () => {
    await configure({ secret: STANDARD_SECRET, scheme: 'standard', payloadFormat: 'callpush' });
    const room = newRoom();
    const raw = seedBody(room, 'audio_video');
    const signature = new Webhook(STANDARD_SECRET).sign('msg_1', new Date(), raw);
    const headers = {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
      'webhook-signature': signature,
    };
    const r = await call('POST', `/v1/webhooks/kaleyra/${app.key}`, { raw, headers });
    expect(r.status, r.text).toBe(200);
    const of = [room, r.body.callId];
    const [fcm] = await until('the FCM ring', () => fcmOf('usr_999', of).length === 1 && fcmOf('usr_999', of));
    const ring = JSON.parse(fcmData(fcm!).callpush!);
    expect(ring).toMatchObject({ type: 'call.ring', from: 'usr_123', to: 'usr_999', video: true });
    expect(ring.headers).toEqual({ 'kaleyra.roomId': room, 'kaleyra.callType': 'audio_video' });

    const oldTime = new Date(Date.now() - 600_000);
    const old = {
      ...headers,
      'webhook-id': 'msg_2',
      'webhook-timestamp': String(Math.floor(oldTime.getTime() / 1000)),
    };
    old['webhook-signature'] = new Webhook(STANDARD_SECRET).sign('msg_2', oldTime, raw);
    expect((await call('POST', `/v1/webhooks/kaleyra/${app.key}`, { raw, headers: old })).status).toBe(401);

    // Signed, but not JSON: the sender's mistake, answered in the error contract (it was a 500).
    const notJson = 'not json at all';
    const signed = {
      'webhook-id': 'msg_3',
      'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
      'webhook-signature': new Webhook(STANDARD_SECRET).sign('msg_3', new Date(), notJson),
    };
    const refused = await call('POST', `/v1/webhooks/kaleyra/${app.key}`, { raw: notJson, headers: signed });
    expect([refused.status, refused.body.error.code, refused.body.error.field]).toEqual([
      400,
      'invalid_webhook',
      'body',
    ]);
  });

  it('carries a user token from the Kaleyra credentials endpoint in the hybrid format, fetched once', async () => {
    const credentials = { baseUrl: kaleyra.baseUrl, apiKey: kaleyra.apiKey };
    const view = await configure({ secret: SECRET, scheme: 'bandyer', payloadFormat: 'kaleyra-hybrid', credentials });
    expect(JSON.stringify(view.body)).not.toContain(kaleyra.apiKey);
    expect(view.body.credentials.apiKeyFingerprint).toMatch(/^sha256:/);
    const rooms = [newRoom(), newRoom(), newRoom()];
    const bodies = rooms.map((room) => seedBody(room));
    const of = [...rooms];
    for (const raw of bodies) {
      const r = await deliver(raw);
      expect(r.body.action).toBe('rang');
      of.push(r.body.callId);
    }
    await until('three FCM rings', () => fcmOf('usr_999', of).length === 3);
    await until('three HMS rings', () => hmsOf('usr_999', of).length === 3);
    const [issued, ...more] = kaleyra.requests();
    expect(more).toHaveLength(0);
    expect(issued).toMatchObject({ userId: 'usr_999' });
    const rung: string[] = [];
    for (const m of fcmOf('usr_999', of)) {
      const data = fcmData(m);
      expect(isKaleyraPushNotificationPayload(JSON.stringify(data))).toBe(true);
      // The bridge's key path `message.kaleyra`, each level a JSON string (docs/providers.md#kaleyra-sdk-payloads).
      const { kaleyra: k } = JSON.parse(data.message!);
      expect(k.user_token).toBe(issued!.accessToken);
      rung.push(k.payload.room_id);
    }
    // Each ring carries its own call's room (the three may reach the emulator in any order).
    expect(rung.sort()).toEqual([...rooms].sort());
    const hybrid = JSON.parse(JSON.parse(hmsData(hmsOf('usr_999', of)[0]!)).message);
    expect(hybrid.kaleyra.user_token).toBe(issued!.accessToken);
  });

  it('shows only fingerprints and refuses an incomplete configuration', async () => {
    const shown = await call('GET', `/v1/apps/${app.key}/webhooks/kaleyra`, { auth: appAuth() });
    expect(shown.status).toBe(200);
    expect(shown.text).not.toContain(SECRET);
    expect(shown.body).toMatchObject({ scheme: 'bandyer', payloadFormat: 'kaleyra' });
    const noCredentials = await call('PUT', `/v1/apps/${app.key}/webhooks/kaleyra`, {
      auth: appAuth(),
      body: { secret: SECRET, scheme: 'bandyer', payloadFormat: 'kaleyra-hybrid' },
    });
    expect(noCredentials.status).toBe(400);
    expect(noCredentials.body.error.field).toBe('credentials');
    const badStandard = await call('PUT', `/v1/apps/${app.key}/webhooks/kaleyra`, {
      auth: appAuth(),
      body: { secret: 'not base64 at all!!', scheme: 'standard', payloadFormat: 'kaleyra' },
    });
    expect(badStandard.body.error.field).toBe('secret');
    expect((await call('GET', `/v1/apps/${app.key}/webhooks/kaleyra`)).status).toBe(401);
  });
});
