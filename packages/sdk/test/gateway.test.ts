import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentOf, generateTypes, TYPES_FILE } from '../scripts/generate-types.js';
import {
  type CallpushClient,
  CallpushError,
  type CallpushEvent,
  createCallpush,
  forwardKaleyraWebhook,
  mintAccessToken,
  ok,
  SignatureError,
  signKaleyraWebhook,
  verifyEvent,
} from '../src/index.js';
import { type Sandbox, startSandbox } from './support/sandbox.js';

/** The app backend's event endpoint: verifies every delivery with the SDK and keeps what it verified. */
class EventReceiver {
  readonly events: CallpushEvent[] = [];
  readonly refused: string[] = [];
  secret = '';
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        this.events.push(verifyEvent(this.secret, Buffer.concat(chunks), req.headers));
        res.writeHead(204).end();
      } catch (err) {
        this.refused.push(err instanceof SignatureError ? err.message : String(err));
        res.writeHead(401).end();
      }
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/callpush-events`;
  }

  async next(type: string, timeoutMs = 10_000): Promise<CallpushEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const event = this.events.find((e) => e.type === type);
      if (event) return event;
      if (Date.now() > deadline) throw new Error(`no ${type} event; refused: ${this.refused.join('; ')}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('@callpush/sdk against a sandbox gateway', () => {
  let sandbox: Sandbox;
  let cp: CallpushClient;
  const receiver = new EventReceiver();

  beforeAll(async () => {
    sandbox = await startSandbox();
    cp = createCallpush({ baseUrl: sandbox.baseUrl, appKey: sandbox.appKey, appSecret: sandbox.appSecret });
  });
  afterAll(async () => {
    await receiver.close();
    await sandbox.close();
  });

  it('ships types generated from the document the gateway serves (npm run generate -w @callpush/sdk)', async () => {
    const current = await generateTypes(await documentOf(sandbox.baseUrl));
    expect(current, 'src/api.ts is stale: npm run generate -w @callpush/sdk').toBe(readFileSync(TYPES_FILE, 'utf8'));
  });

  it("places a call that rings every one of bob's devices, and follows its deliveries", async () => {
    const { data, error, response } = await cp.POST('/v1/calls', {
      body: { from: 'alice', to: ['bob'], video: true, headers: { room: 'r-42' } },
    });
    expect(error, JSON.stringify(error)).toBeUndefined();
    expect(response.status).toBe(201);
    expect(data!.deliveries).toHaveLength(4);
    const callId = data!.callId;
    const params = { params: { path: { callId } } };
    let call = await ok(cp.GET('/v1/calls/{callId}', params));
    for (let i = 0; i < 100 && call.deliveries.some((d) => d.state === 'pending'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      call = await ok(cp.GET('/v1/calls/{callId}', params));
    }
    expect(call.deliveries.map((d) => [d.providerType, d.state]).sort()).toEqual([
      ['apns', 'sent'],
      ['fcm', 'sent'],
      ['hms', 'sent'],
      ['webpush', 'sent'],
    ]);
    expect((await ok(cp.POST('/v1/calls/{callId}/cancel', params))).state).toBe('cancelled');
  });

  it('throws the gateway refusal as a CallpushError with its code and field', async () => {
    const refusal = await ok(cp.POST('/v1/calls', { body: { from: 'alice', to: [] } })).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(CallpushError);
    expect(refusal).toMatchObject({ status: 400, field: 'to' });
    const stranger = createCallpush({ baseUrl: sandbox.baseUrl, appKey: sandbox.appKey, appSecret: 'AAAA' });
    await expect(ok(stranger.GET('/v1/calls'))).rejects.toMatchObject({ status: 401 });
  });

  it('mints a user token offline that the gateway accepts', async () => {
    const { accessToken } = mintAccessToken({ appKey: sandbox.appKey, appSecret: sandbox.appSecret, userId: 'bob' });
    const r = await fetch(`${sandbox.baseUrl}/v1/me/devices`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { devices: unknown[] }).devices).toHaveLength(4);
    const forged = mintAccessToken({ appKey: sandbox.appKey, appSecret: 'AAAAAAAAAAAAAAAAAAAAAA==', userId: 'bob' });
    const refused = await fetch(`${sandbox.baseUrl}/v1/me/devices`, {
      headers: { authorization: `Bearer ${forged.accessToken}` },
    });
    expect([refused.status, ((await refused.json()) as { error: { code: string } }).error.code]).toEqual([
      401,
      'token_invalid_signature',
    ]);
  });

  it("verifies the gateway's event deliveries with the endpoint's signing secret", async () => {
    const url = await receiver.start();
    const endpoint = await ok(
      cp.PUT('/v1/apps/{appKey}/webhooks/events', {
        params: { path: { appKey: sandbox.appKey } },
        body: { url, events: ['call.created'] },
      }),
    );
    receiver.secret = endpoint.signingSecret!;
    const test = await ok(
      cp.POST('/v1/apps/{appKey}/webhooks/events/test', { params: { path: { appKey: sandbox.appKey } } }),
    );
    expect([test.status, test.error]).toEqual([204, null]);
    expect((await receiver.next('test')).id).toBe(test.eventId);

    const call = await ok(cp.POST('/v1/calls', { body: { from: 'alice', to: ['bob'] } }));
    const created = await receiver.next('call.created');
    expect(created.data).toMatchObject({ callId: call.callId });
    expect(receiver.refused).toEqual([]);
  });

  it('forwards a Kaleyra webhook to the intake, re-signed or as Kaleyra signed it', async () => {
    const appKey = sandbox.appKey;
    const webhook = (room: string) =>
      JSON.stringify({
        event: 'on_call_incoming',
        room_id: room,
        data: {
          initiator: 'alice',
          users: [{ user: { userAlias: 'bob' }, status: 'invited' }],
          options: { callType: 'audio' },
        },
      });
    const configure = (scheme: 'standard' | 'bandyer', secret: string) =>
      ok(
        cp.PUT('/v1/apps/{appKey}/webhooks/kaleyra', {
          params: { path: { appKey } },
          body: { secret, scheme, payloadFormat: 'callpush' },
        }),
      );

    const whsec = `whsec_${Buffer.from('k'.repeat(24)).toString('base64')}`;
    await configure('standard', whsec);
    const signature = { scheme: 'standard' as const, secret: whsec };
    const rang = await forwardKaleyraWebhook({ baseUrl: sandbox.baseUrl, appKey, body: webhook('r-1'), signature });
    expect(rang).toMatchObject({ event: 'on_call_incoming', action: 'rang' });
    expect(await forwardKaleyraWebhook({ baseUrl: sandbox.baseUrl, appKey, body: webhook('r-1'), signature })).toEqual(
      expect.objectContaining({ action: 'duplicate' }),
    );

    // Kaleyra's own signature, passed through: the intake holds the secret Kaleyra signs with.
    await configure('bandyer', 'kaleyra-company-api-key');
    const body = webhook('r-2');
    const asKaleyraSent = signKaleyraWebhook('bandyer', 'kaleyra-company-api-key', body);
    const passed = await forwardKaleyraWebhook({
      baseUrl: sandbox.baseUrl,
      appKey,
      body,
      signature: { headers: asKaleyraSent },
    });
    expect(passed.action).toBe('rang');
    const forged = forwardKaleyraWebhook({
      baseUrl: sandbox.baseUrl,
      appKey,
      body: webhook('r-3'),
      signature: { scheme: 'bandyer', secret: 'not-the-secret' },
    });
    await expect(forged).rejects.toMatchObject({ status: 401, code: 'invalid_webhook_signature' });
  });
});
