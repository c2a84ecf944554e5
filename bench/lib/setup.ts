import type { EmulatorInfo } from './emulator-process.js';
import { forEachConcurrently } from './pool.js';

/**
 * The ring bench's fixture, built through the public API like an operator, an app backend and its users
 * would: one app, FCM and APNs providers pointing at the emulators, `callees` users with two devices each
 * (an Android phone on FCM, an iPhone with a PushKit token).
 */

export interface Fixture {
  appKey: string;
  /** `Basic …` for the app. */
  auth: string;
  callees: string[];
}

export const APNS_TOPIC = 'com.example.bench';

export async function api(base: string, method: string, path: string, auth: string, body?: unknown): Promise<unknown> {
  const res = await fetch(new URL(path, base), {
    method,
    headers: { authorization: auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

const apnsToken = (i: number) => i.toString(16).padStart(8, '0').repeat(8);

/** Callee `i`'s user id and device tokens (an Android phone on FCM, an iPhone's PushKit token), for every server set up. */
export function callee(i: number): { user: string; fcmToken: string; apnsVoipToken: string } {
  return { user: `callee-${i}`, fcmToken: `bench-fcm-${i}:APA91b`, apnsVoipToken: apnsToken(i) };
}

export interface BenchApp {
  key: string;
  secret: string;
  /** `Basic …` for the app. */
  auth: string;
}

/** Creates an app as the operator does (admin token). */
export async function createApp(base: string, adminToken: string): Promise<BenchApp> {
  const app = (await api(base, 'POST', '/v1/apps', `Bearer ${adminToken}`, { name: 'bench' })) as {
    key: string;
    secret: string;
  };
  return { ...app, auth: `Basic ${Buffer.from(`${app.key}:${app.secret}`).toString('base64')}` };
}

export async function setUpFixture(
  base: string,
  adminToken: string,
  emulators: EmulatorInfo,
  calleeCount: number,
): Promise<Fixture> {
  if (!emulators.apns) throw new Error('the ring bench needs the APNs emulator');
  const app = await createApp(base, adminToken);
  const { auth } = app;
  await api(base, 'PUT', `/v1/apps/${app.key}/providers/fcm`, auth, {
    type: 'fcm',
    serviceAccount: emulators.fcm.serviceAccount,
    endpoint: emulators.fcm.baseUrl,
  });
  const { baseUrl, teamId, keyId, privateKey } = emulators.apns;
  await api(base, 'PUT', `/v1/apps/${app.key}/providers/apns`, auth, {
    type: 'apns',
    teamId,
    keyId,
    privateKey,
    topic: APNS_TOPIC,
    environment: 'sandbox',
    endpoint: baseUrl,
  });
  const callees = Array.from({ length: calleeCount }, (_, i) => callee(i).user);
  await forEachConcurrently(callees.length, 16, async (i) => {
    const { user, fcmToken, apnsVoipToken } = callee(i);
    const { accessToken } = (await api(base, 'POST', `/v1/users/${user}/access-tokens`, auth)) as {
      accessToken: string;
    };
    const bearer = `Bearer ${accessToken}`;
    await api(base, 'PUT', '/v1/me/devices/android', bearer, { provider: 'fcm', token: fcmToken, kind: 'alert' });
    await api(base, 'PUT', '/v1/me/devices/iphone', bearer, { provider: 'apns', token: apnsVoipToken, kind: 'voip' });
  });
  return { appKey: app.key, auth, callees };
}
