import { type Emulators, type KaleyraEmulator, startEmulators, startKaleyraEmulator } from '@callpush/emulators';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emulatorProviderCredentials } from '../../src/edges/sandbox/index.js';
import { bandyerSignature, isKaleyraPushNotificationPayload } from '../../src/integrations/kaleyra/index.js';
import { ADMIN_TOKEN, basic, type EngineName, startTestGateway, type TestGateway } from '../support/gateway.js';
import { type CallOptions, request } from '../support/http.js';
import { postgresAvailable } from '../support/services.js';

const engines: EngineName[] = ['sqlite', ...((await postgresAvailable()) ? (['postgres'] as const) : [])];

const SECRET = 'kaleyra-webhook-secret-0123456789';
const SIX_HOURS_S = 6 * 3600;

const tokens = {
  usr_123: { fcm: 'chat-usr123-fcm', hms: 'chat-usr123-hms' },
  usr_999: { fcm: 'chat-usr999-fcm', hms: 'chat-usr999-hms' },
  usr_555: { fcm: 'chat-usr555-fcm', hms: 'chat-usr555-hms' },
};
type User = keyof typeof tokens;

let messages = 0;
const newMessageId = () => `msg_${Date.now().toString(36)}${++messages}`;
/** A chat message by usr_123 in a channel with usr_999 and usr_555, as callpush reads it (docs/kaleyra.md#chat). */
const chatBody = (messageId = newMessageId()) =>
  JSON.stringify({
    event: 'on_message_sent',
    data: {
      channel_id: 'ch_team',
      message_id: messageId,
      sender: 'usr_123',
      participants: [{ user: { userAlias: 'usr_123' } }, { user: { userAlias: 'usr_999' } }, 'usr_555'],
    },
  });

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

// biome-ignore lint/suspicious/noExplicitAny: recorded provider bodies, asserted field by field
type Recorded = { payload: any };

/** The chat message a push is of, in the Kaleyra format (`message` the webhook body) or the hybrid one. */
function messageIdOf(data: Record<string, string>): string | undefined {
  if (data.message === undefined) return undefined;
  const message = JSON.parse(data.message);
  return (message.kaleyra?.payload ?? message).data?.message_id;
}

describe.each(engines)('Kaleyra chat messages on %s, through the FCM and HMS emulators', (engine) => {
  let emu: Emulators;
  let kaleyra: KaleyraEmulator;
  let gw: TestGateway;
  let app: { key: string; secret: string };
  const call = (method: string, path: string, opts?: CallOptions) => request(gw.url, method, path, opts);
  const appAuth = () => basic(app.key, app.secret);
  const fcmTo = (user: User): Recorded[] => emu.fcm.messages.list({ token: tokens[user].fcm });
  const hmsTo = (user: User): Recorded[] => emu.hms.messages.list({ token: tokens[user].hms });
  /**
   * The pushes to `user` of the given chat messages: an earlier test's pushes to the other participant may
   * still be on their way when the emulators' lists are cleared.
   */
  const fcmOf = (user: User, ids: string[]) =>
    fcmTo(user).filter((m) => ids.includes(messageIdOf(m.payload.data) ?? ''));
  const hmsOf = (user: User, ids: string[]) =>
    hmsTo(user).filter((m) => ids.includes(messageIdOf(JSON.parse(m.payload.data)) ?? ''));

  const configure = async (body: Record<string, unknown>) => {
    const r = await call('PUT', `/v1/apps/${app.key}/webhooks/kaleyra`, { auth: appAuth(), body });
    expect(r.status, r.text).toBeLessThan(300);
  };

  const deliver = (raw: string, t = Math.floor(Date.now() / 1000)) =>
    call('POST', `/v1/webhooks/kaleyra/${app.key}`, {
      raw,
      headers: { 'bandyer-signature': `t=${t},v0=${bandyerSignature(SECRET, t, Buffer.from(raw))}` },
    });

  beforeAll(async () => {
    emu = await startEmulators();
    kaleyra = await startKaleyraEmulator();
    gw = await startTestGateway(engine, {}, { providerCa: emu.tls.ca });
    app = (await call('POST', '/v1/apps', { auth: `Bearer ${ADMIN_TOKEN}`, body: { name: 'kaleyra-chat' } })).body;
    const { fcm, hms } = emulatorProviderCredentials(emu.credentials);
    for (const [name, body] of Object.entries({ fcm, hms })) {
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

  it("reaches the other participants' phones as a Kaleyra chat push, and not the sender's", async () => {
    const id = [newMessageId()];
    const raw = chatBody(id[0]);
    const r = await deliver(raw);
    expect(r.status, r.text).toBe(200);
    expect(r.body).toEqual({ event: 'on_message_sent', action: 'notified' });
    for (const user of ['usr_999', 'usr_555'] as const) {
      const [fcm] = await until(`the FCM push to ${user}`, () => fcmOf(user, id).length === 1 && fcmOf(user, id));
      const [hms] = await until(`the HMS push to ${user}`, () => hmsOf(user, id).length === 1 && hmsOf(user, id));
      // The Android SDK serialises what it got and looks for the event name.
      expect(fcm!.payload.data).toEqual({ event: 'on_message_sent', message: raw });
      expect(isKaleyraPushNotificationPayload(JSON.stringify(fcm!.payload.data))).toBe(true);
      expect(JSON.parse(hms!.payload.data)).toEqual({ event: 'on_message_sent', message: raw });
      expect(isKaleyraPushNotificationPayload(hms!.payload.data)).toBe(true);
      // Not a ring: normal priority, no VoIP category, worth delivering for hours.
      const android = fcm!.payload.android;
      expect(android.priority).toBe('NORMAL');
      expect(Number.parseInt(android.ttl, 10)).toBeGreaterThan(SIX_HOURS_S - 60);
      expect(Number.parseInt(android.ttl, 10)).toBeLessThanOrEqual(SIX_HOURS_S);
      expect(android.collapse_key).toMatch(/^km_/);
      expect(hms!.payload.android).toMatchObject({ urgency: 'NORMAL' });
      expect(hms!.payload.android.category).toBeUndefined();
    }
    await sleep(200);
    expect(fcmOf('usr_123', id)).toHaveLength(0);
    expect(hmsOf('usr_123', id)).toHaveLength(0);
  });

  it('gives every message its own collapse key, so none replaces another', async () => {
    const ids = [newMessageId(), newMessageId()];
    for (const id of ids) await deliver(chatBody(id));
    const keys = await until('two pushes', () => fcmOf('usr_999', ids).length === 2 && fcmOf('usr_999', ids));
    expect(new Set(keys.map((m) => m.payload.android.collapse_key)).size).toBe(2);
  });

  it('sends nothing twice for a webhook delivered again, re-signed or at once', async () => {
    const id = [newMessageId()];
    const raw = chatBody(id[0]);
    const now = Math.floor(Date.now() / 1000);
    const answers = await Promise.all([deliver(raw), deliver(raw, now - 5), deliver(raw, now - 10)]);
    expect(answers.map((a) => a.body.action).sort()).toEqual(['duplicate', 'duplicate', 'notified']);
    expect((await deliver(raw)).body.action).toBe('duplicate');
    await until('the FCM push', () => fcmOf('usr_999', id).length === 1);
    await until('the HMS push', () => hmsOf('usr_555', id).length === 1);
    await until('the other pushes', () => hmsOf('usr_999', id).length > 0 && fcmOf('usr_555', id).length > 0);
    // Time for a second push, had a duplicate sent one.
    await sleep(300);
    expect(fcmOf('usr_999', id)).toHaveLength(1);
    expect(hmsOf('usr_999', id)).toHaveLength(1);
    expect(fcmOf('usr_555', id)).toHaveLength(1);
  });

  it("carries each participant's own SDK token in the hybrid format", async () => {
    const credentials = { baseUrl: kaleyra.baseUrl, apiKey: kaleyra.apiKey };
    await configure({ secret: SECRET, scheme: 'bandyer', payloadFormat: 'kaleyra-hybrid', credentials });
    const id = [newMessageId()];
    const raw = chatBody(id[0]);
    expect((await deliver(raw)).body.action).toBe('notified');
    for (const user of ['usr_999', 'usr_555'] as const) {
      const [fcm] = await until(`the FCM push to ${user}`, () => fcmOf(user, id).length === 1 && fcmOf(user, id));
      expect(isKaleyraPushNotificationPayload(JSON.stringify(fcm!.payload.data))).toBe(true);
      const { kaleyra: bridged } = JSON.parse(fcm!.payload.data.message);
      const issued = kaleyra.requests().find((q) => q.userId === user);
      expect(bridged).toEqual({ payload: JSON.parse(raw), user_token: issued!.accessToken });
    }
    expect(kaleyra.requests().some((q) => q.userId === 'usr_123')).toBe(false);
  });

  it('refuses a chat body it cannot read with 400 naming the field, pushing nothing', async () => {
    const r = await deliver(JSON.stringify({ event: 'on_message_sent', data: { channel_id: 'ch_team' } }));
    expect([r.status, r.body.error.code, r.body.error.field]).toEqual([400, 'invalid_webhook', 'data.sender']);
    await sleep(200);
    expect(fcmTo('usr_999')).toHaveLength(0);
  });
});
