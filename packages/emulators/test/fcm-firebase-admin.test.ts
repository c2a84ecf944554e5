import { randomUUID } from 'node:crypto';
import https from 'node:https';
import tls from 'node:tls';
import { type App, deleteApp, initializeApp } from 'firebase-admin/app';
import { getMessaging, type Message } from 'firebase-admin/messaging';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type FcmEmulator, startFcmEmulator } from '../src/fcm/index.js';
import { redirectFirebaseHttp2 } from './support/firebase-h2.js';

/**
 * Conformance with firebase-admin 13, which hard-codes fcm.googleapis.com: an `https.Agent` dials the
 * emulator instead (HTTP/1.1 `send()` and legacy-transport `sendEach()`), and a scoped `http2.connect`
 * redirect covers the default HTTP/2 `sendEach()`. Each scripted behaviour must surface as the error code the
 * SDK gives for the real service.
 */

/** Dials the emulator on loopback, presenting the name firebase-admin asked for (the emulator cert covers it). */
class EmulatorAgent extends https.Agent {
  constructor(
    private readonly port: number,
    private readonly ca: string,
  ) {
    super({ keepAlive: true });
  }

  override createConnection(options: https.RequestOptions): tls.TLSSocket {
    const servername = options.servername || options.hostname || options.host || 'fcm.googleapis.com';
    return tls.connect({ host: '127.0.0.1', port: this.port, ca: this.ca, servername, ALPNProtocols: ['http/1.1'] });
  }
}

let fcm: FcmEmulator;
let agent: EmulatorAgent;
const apps: App[] = [];

beforeAll(async () => {
  fcm = await startFcmEmulator();
  agent = new EmulatorAgent(fcm.port, fcm.tls?.ca ?? '');
});

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => deleteApp(app)));
  fcm.messages.clear();
  fcm.behaviours.clear();
  fcm.faults.clear();
});

afterAll(async () => {
  agent.destroy();
  await fcm.close();
});

/** A firebase app whose credential hands out emulator tokens (no token fetch), under a unique name. */
function messaging(projectId = fcm.projectId) {
  const app = initializeApp(
    { credential: { getAccessToken: async () => fcm.issueAccessToken() }, projectId, httpAgent: agent },
    `fcm-conformance-${randomUUID()}`,
  );
  apps.push(app);
  return getMessaging(app);
}

function callMessage(token: string): Message {
  return {
    token,
    data: { type: 'incoming_call', call_id: 'c-123', caller: '+15550100' },
    android: { priority: 'high', ttl: 30_000, collapseKey: 'call-c-123', directBootOk: true },
  };
}

async function sendError(send: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = await send.then(
    () => undefined,
    (err: unknown) => err as { code: string; message: string },
  );
  if (!error) throw new Error('expected the send to fail');
  return error;
}

/**
 * Runs `run` with the SDK's retry back-off (0.5 s doubling, via the global `setTimeout`) elapsing at once, so
 * exhausting its 4 retries takes milliseconds. Sockets use Node's internal timers and are unaffected.
 */
async function withoutSdkBackoff<T>(run: () => Promise<T>): Promise<T> {
  vi.useFakeTimers({ toFake: ['setTimeout'] });
  try {
    let settled = false;
    const result = run().finally(() => {
      settled = true;
    });
    while (!settled) {
      await vi.advanceTimersByTimeAsync(60_000);
      await new Promise((resolve) => setImmediate(resolve));
    }
    return await result;
  } finally {
    vi.useRealTimers();
  }
}

describe('firebase-admin send() over HTTP/1.1', () => {
  it('delivers a data-only call message and reports its name', async () => {
    const name = await messaging().send(callMessage('device-a:APA91b'));
    expect(name).toMatch(new RegExp(`^projects/${fcm.projectId}/messages/0:\\d+%[0-9a-f]+$`));
    const [recorded] = fcm.messages.list({ token: 'device-a:APA91b' });
    expect(recorded?.payload).toEqual({
      token: 'device-a:APA91b',
      data: { type: 'incoming_call', call_id: 'c-123', caller: '+15550100' },
      android: { priority: 'high', ttl: '30s', collapse_key: 'call-c-123', direct_boot_ok: true },
    });
    expect(recorded?.headers).toMatchObject({ 'x-firebase-client': expect.stringMatching(/^fire-admin-node\//) });
    expect(recorded?.headers.authorization).toBeUndefined();
  });

  it('dry runs validate without delivering', async () => {
    const name = await messaging().send(callMessage('device-a'), true);
    expect(name).toBe(`projects/${fcm.projectId}/messages/fake_message_id`);
    expect(fcm.messages.list()).toEqual([]);
  });

  it.each([
    ['unregistered', {}, 'messaging/registration-token-not-registered'],
    ['invalid', {}, 'messaging/invalid-argument'],
    // firebase-admin 13 maps QUOTA_EXCEEDED to message-rate-exceeded (it has no quota-exceeded messaging code).
    ['rate_limited', { retryAfterSeconds: 30 }, 'messaging/message-rate-exceeded'],
    // It maps a bare 401 UNAUTHENTICATED to third-party-auth-error as well.
    ['auth_expired', {}, 'messaging/third-party-auth-error'],
  ] as const)('scripted %s surfaces as %s', async (kind, extra, code) => {
    fcm.behaviours.set('device-b', { kind, ...extra });
    expect(await sendError(messaging().send(callMessage('device-b')))).toMatchObject({ code });
  });

  it('is retried on 503 UNAVAILABLE (1 + 4 tries) before the SDK reports server-unavailable', async () => {
    fcm.behaviours.set('device-c', { kind: 'unavailable', count: 6 });
    const error = await withoutSdkBackoff(() => sendError(messaging().send(callMessage('device-c'))));
    expect(error).toMatchObject({ code: 'messaging/server-unavailable' });
    expect(fcm.behaviours.list()).toEqual([{ token: 'device-c', behaviours: [{ kind: 'unavailable', count: 1 }] }]);
  });

  it('succeeds once a short outage (503, then a dropped connection) is over', async () => {
    fcm.behaviours.set('device-d', { kind: 'unavailable', count: 1, retryAfterSeconds: 0 });
    await messaging().send(callMessage('device-d'));
    fcm.behaviours.set('device-d', { kind: 'reset', count: 1 });
    await messaging().send(callMessage('device-d'));
    expect(fcm.messages.list({ token: 'device-d' })).toHaveLength(2);
  });

  it.each([
    ['INTERNAL', 'messaging/internal-error'],
    ['SENDER_ID_MISMATCH', 'messaging/mismatched-credential'],
    ['THIRD_PARTY_AUTH_ERROR', 'messaging/third-party-auth-error'],
  ] as const)('fault %s surfaces as %s', async (errorCode, code) => {
    fcm.faults.set('device-e', { errorCode });
    expect(await sendError(messaging().send(callMessage('device-e')))).toMatchObject({ code });
  });

  it('reports server-side validation as invalid-argument with FCM’s message', async () => {
    const message = { token: 'device-f', data: { from: '+15550100' } };
    expect(await sendError(messaging().send(message))).toEqual(
      expect.objectContaining({ code: 'messaging/invalid-argument', message: 'Invalid data payload key: from' }),
    );
  });

  it('reports a project the credentials may not use as mismatched-credential', async () => {
    expect(await sendError(messaging('someone-elses-project').send(callMessage('device-g')))).toMatchObject({
      code: 'messaging/mismatched-credential',
    });
  });
});

/** One of each outcome, in order, with the code firebase-admin reports for it. */
const BATCH: Array<[token: string, code: string | undefined]> = [
  ['ok-1', undefined],
  ['dead', 'messaging/registration-token-not-registered'],
  ['bad', 'messaging/invalid-argument'],
  ['limited', 'messaging/message-rate-exceeded'],
  ['expired', 'messaging/third-party-auth-error'],
  ['broken', 'messaging/internal-error'],
  // One 503 then success: the SDK's immediate first retry delivers it.
  ['flaky', undefined],
  ['ok-2', undefined],
];

function scriptBatch(): void {
  fcm.behaviours.set('dead', { kind: 'unregistered' });
  fcm.behaviours.set('bad', { kind: 'invalid' });
  fcm.behaviours.set('limited', { kind: 'rate_limited' });
  fcm.behaviours.set('expired', { kind: 'auth_expired' });
  fcm.faults.set('broken', { errorCode: 'INTERNAL' });
  fcm.behaviours.set('flaky', { kind: 'unavailable', count: 1 });
}

function outcomes(response: { responses: Array<{ success: boolean; error?: { code: string } }> }) {
  return response.responses.map((r) => (r.success ? undefined : r.error?.code));
}

describe('firebase-admin sendEach()', () => {
  it('over HTTP/1.1 (legacy transport) reports each message’s outcome', async () => {
    scriptBatch();
    const client = messaging();
    client.enableLegacyHttpTransport();
    const response = await client.sendEach(BATCH.map(([token]) => callMessage(token)));
    expect(outcomes(response)).toEqual(BATCH.map(([, code]) => code));
    expect(fcm.messages.list().map((m) => m.token)).toEqual(expect.arrayContaining(['ok-1', 'flaky', 'ok-2']));
  });

  describe('over HTTP/2 (default transport)', () => {
    let restore: () => void = () => {};
    afterEach(() => restore());

    it('reports each message’s outcome', async () => {
      restore = redirectFirebaseHttp2(fcm.port, fcm.tls?.ca ?? '');
      scriptBatch();
      const response = await messaging().sendEach(BATCH.map(([token]) => callMessage(token)));
      expect(outcomes(response)).toEqual(BATCH.map(([, code]) => code));
    });

    it('multiplexes a full 500-message batch over sessions limited to 100 streams', async () => {
      restore = redirectFirebaseHttp2(fcm.port, fcm.tls?.ca ?? '');
      const tokens = Array.from({ length: 500 }, (_, i) => `bulk-${i}`);
      const response = await messaging().sendEach(tokens.map(callMessage));
      expect(response.successCount).toBe(500);
      expect(new Set(fcm.messages.list().map((m) => m.token)).size).toBe(500);
    });
  });
});
