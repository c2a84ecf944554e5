import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Emulators, startEmulators } from '@callpush/emulators';
import { afterAll, describe, expect, it } from 'vitest';
import { CallsRepository } from '../../src/domain/calls/index.js';
import { openStore } from '../../src/infra/store/index.js';
import { ADMIN_TOKEN, basic, startTestGateway } from '../support/gateway.js';
import { request } from '../support/http.js';
import { until } from '../support/wait.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'callpush-resume-'));
let emu: Emulators | undefined;
afterAll(async () => {
  await emu?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** An app with an FCM credential on the emulator and bob's phone `pixel` registered with `fcmToken`. */
async function appWithPixel(url: string, emulators: Emulators, fcmToken: string) {
  const app = (await request(url, 'POST', '/v1/apps', { auth: `Bearer ${ADMIN_TOKEN}`, body: { name: 'a' } })).body;
  const auth = basic(app.key, app.secret);
  const c = emulators.credentials.fcm;
  await request(url, 'PUT', `/v1/apps/${app.key}/providers/fcm`, {
    auth,
    body: { type: 'fcm', serviceAccount: c.serviceAccount, endpoint: c.baseUrl },
  });
  const token = (await request(url, 'POST', '/v1/users/bob/access-tokens', { auth })).body.accessToken;
  await request(url, 'PUT', '/v1/me/devices/pixel', {
    auth: `Bearer ${token}`,
    body: { provider: 'fcm', token: fcmToken, kind: 'alert' },
  });
  return { app, auth };
}

describe('crash safety', () => {
  it('resumes deliveries committed but never sent, and expires those whose deadline passed', async () => {
    const emulators = await startEmulators();
    emu = emulators;
    const first = await startTestGateway('sqlite', {}, { providerCa: emulators.tls.ca, dataDir, keep: true });
    const { app, auth } = await appWithPixel(first.url, emulators, 'resume-token');
    await first.stop();

    // What a crash between the commit and the send leaves behind: a call and its pending deliveries.
    const store = await openStore({ dataDir });
    const repo = new CallsRepository(store);
    const now = Date.now();
    const delivery = (id: string, callId: string, deadline: number) => ({
      id,
      callId,
      appKey: app.key,
      userId: 'bob',
      deviceId: 'pixel',
      provider: 'fcm',
      providerType: 'fcm',
      token: 'resume-token',
      kind: 'alert' as const,
      transport: 'push' as const,
      type: 'ring' as const,
      state: 'pending' as const,
      attempts: 0,
      deadline,
      createdAt: now,
      // Leased by the gateway that crashed: the one restarted on the same embedded database takes it at once.
      leaseOwner: 'n_crashed',
      leaseUntil: now + 60_000,
    });
    const call = (id: string, expiresAt: number) => ({
      id,
      appKey: app.key,
      from: 'alice',
      video: false,
      headers: {},
      callees: { bob: 'ringing' as const },
      state: 'ringing' as const,
      createdAt: now,
      expiresAt,
      updatedAt: now,
    });
    await repo.insertCall(call('c_live', now + 30_000), undefined, [delivery('d_live', 'c_live', now + 30_000)]);
    await repo.insertCall(call('c_late', now - 1), undefined, [delivery('d_late', 'c_late', now - 1)]);
    // Answered on another device while its ring was still owed: the ring is not sent after the restart.
    await repo.insertCall(
      { ...call('c_answered', now + 30_000), state: 'answered', callees: { bob: 'answered' } },
      undefined,
      [delivery('d_answered', 'c_answered', now + 30_000)],
    );
    await store.close();

    const second = await startTestGateway('sqlite', {}, { providerCa: emu.tls.ca, dataDir, keep: true });
    const ring = await emu.fcm.messages.waitFor((m) => m.token === 'resume-token', 5000);
    expect(JSON.parse((ring.payload as any).data.callpush)).toMatchObject({
      type: 'call.ring',
      callId: 'c_live',
    });
    const late = await request(second.url, 'GET', '/v1/calls/c_late', { auth });
    expect(late.body.deliveries[0].state).toBe('expired');
    const answered = await request(second.url, 'GET', '/v1/calls/c_answered', { auth });
    expect(answered.body.deliveries[0]).toMatchObject({ state: 'skipped', detail: 'the call stopped ringing' });
    // One ring (c_live); the call that timed out while no node ran is missed, so it gets its notice.
    const sent = () =>
      emulators.fcm.messages.list({ token: 'resume-token' }).map((m) => {
        const body = JSON.parse((m.payload as any).data.callpush);
        return `${body.type}:${body.callId}`;
      });
    await until('the missed notice of the call that timed out', () => sent().length === 2);
    expect(sent().sort()).toEqual(['call.missed:c_late', 'call.ring:c_live']);
    await second.stop();
  });

  it("keeps a provider's Retry-After across a restart: the retry goes when it said, not when the node came back", async () => {
    emu ??= await startEmulators();
    const folder = mkdtempSync(path.join(os.tmpdir(), 'callpush-retry-after-'));
    const first = await startTestGateway('sqlite', {}, { providerCa: emu.tls.ca, dataDir: folder, keep: true });
    const { auth } = await appWithPixel(first.url, emu, 'retry-after-token');
    const RETRY_AFTER_S = 4;
    emu.fcm.behaviours.set('retry-after-token', { kind: 'rate_limited', retryAfterSeconds: RETRY_AFTER_S, count: 1 });
    const placed = await request(first.url, 'POST', '/v1/calls', {
      auth,
      body: { from: 'alice', to: ['bob'], ringTimeoutSeconds: 30 },
    });
    const refusedAt = await until('the first attempt refused', async () => {
      const r = await request(first.url, 'GET', `/v1/calls/${placed.body.callId}`, { auth });
      const d = r.body.deliveries[0];
      return d.attempts === 1 && d.state === 'pending' ? d.firstAttemptAt : undefined;
    });
    await first.stop();
    const second = await startTestGateway('sqlite', {}, { providerCa: emu.tls.ca, dataDir: folder });
    const ring = await emu.fcm.messages.waitFor((m) => m.token === 'retry-after-token', 10_000);
    // The restart took well under the Retry-After; the ring still waited for it.
    expect(ring.receivedAt - refusedAt).toBeGreaterThanOrEqual(RETRY_AFTER_S * 1000 - 50);
    // The emulator records the push before the gateway has read its answer: the outcome follows.
    const after = await until('the retry recorded', async () => {
      const d = (await request(second.url, 'GET', `/v1/calls/${placed.body.callId}`, { auth })).body.deliveries[0];
      return d.state === 'sent' ? d : undefined;
    });
    expect(after).toMatchObject({ state: 'sent', attempts: 2 });
    await second.stop();
  });
});
