import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, startTestGateway, type TestGateway } from '../support/gateway.js';
import { request } from '../support/http.js';
import { until } from '../support/wait.js';

interface Phone {
  deviceId: string;
  provider: string;
  kind: string;
  last?: {
    callId: string;
    type: string;
    from: string;
    headers: Record<string, string>;
    reason?: string;
    receivedAt: number;
    call?: { state: string; answeredBy?: { deviceId: string } };
  };
}

const SAME_ORIGIN = { 'sec-fetch-site': 'same-origin' };

/** The sandbox phones: bob's four emulated devices and the last call message each emulator recorded. */
describe('the sandbox phones', () => {
  let gw: TestGateway;
  let auth: string;
  const phones = async () => {
    const r = await request(gw.url, 'GET', '/console/sandbox-phones', { headers: SAME_ORIGIN });
    expect(r.status, r.text).toBe(200);
    return new Map((r.body.phones as Phone[]).map((p) => [p.deviceId, p]));
  };

  beforeAll(async () => {
    gw = await startTestGateway('sqlite', { CALLPUSH_SANDBOX: 'true' });
    auth = basic(gw.sandbox!.appKey, gw.sandbox!.appSecret);
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
  });

  it('light up with the caller and headers of a ring, and clear when it is answered elsewhere', async () => {
    const before = await phones();
    expect([...before.keys()].sort()).toEqual(['browser', 'huawei', 'iphone', 'pixel']);
    expect(before.get('iphone')).toMatchObject({ provider: 'apns', kind: 'voip' });

    // The stream's first event is the phones as they are; each change sends them again.
    const abort = new AbortController();
    const stream = await fetch(`${gw.url}/console/sandbox-phones/events`, {
      headers: SAME_ORIGIN,
      signal: abort.signal,
    });
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    let received = '';
    const reading = (async () => {
      for await (const chunk of stream.body!) received += Buffer.from(chunk as Uint8Array).toString('utf8');
    })().catch(() => undefined);

    const placed = await request(gw.url, 'POST', '/v1/calls', {
      auth,
      body: { from: 'alice', to: ['bob'], displayName: 'Alice A', headers: { room: 'r-42' } },
    });
    expect(placed.status, placed.text).toBe(201);
    const callId = placed.body.callId as string;
    const rung = await until('four phones ring', async () => {
      const now = await phones();
      return [...now.values()].every((p) => p.last?.callId === callId && p.last.type === 'ring') ? now : undefined;
    });
    expect(rung.get('huawei')!.last).toMatchObject({ from: 'alice', headers: { room: 'r-42' } });
    expect(rung.get('browser')!.last!.call).toEqual({ state: 'ringing' });

    const bob = (await request(gw.url, 'POST', '/v1/users/bob/access-tokens', { auth })).body.accessToken;
    const answered = await request(gw.url, 'POST', `/v1/calls/${callId}/answer`, {
      auth: `Bearer ${bob}`,
      body: { deviceId: 'pixel' },
    });
    expect(answered.status, answered.text).toBe(200);
    const after = await until('the others are cancelled', async () => {
      const now = await phones();
      return ['huawei', 'browser'].every((d) => now.get(d)?.last?.type === 'cancel') ? now : undefined;
    });
    expect(after.get('huawei')!.last!.reason).toBe('answered_elsewhere');
    expect(after.get('pixel')!.last!.call).toMatchObject({ state: 'answered', answeredBy: { deviceId: 'pixel' } });
    // A VoIP phone gets no cancel push: where the call stands says its ring is over.
    expect(after.get('iphone')!.last).toMatchObject({ type: 'ring', call: { state: 'answered' } });

    await until('the stream told of the cancel', async () => received.includes('"type":"cancel"'));
    expect(received).toMatch(/^: open\n\nevent: phones\ndata: \{"phones":\[/);
    abort.abort();
    await reading;
  });

  it('are shown only to the console opened on this machine', async () => {
    const plain = await request(gw.url, 'GET', '/console/sandbox-phones');
    expect(plain.status).toBe(403);
    expect(plain.body.error.code).toBe('sandbox_local_only');
    const crossSite = await request(gw.url, 'GET', '/console/sandbox-phones/events', {
      headers: { 'sec-fetch-site': 'cross-site' },
    });
    expect(crossSite.status).toBe(403);
    // fetch keeps the Host it connects to: a DNS-rebound name, as node:http sends it.
    const rebound = await new Promise<number>((resolve, reject) => {
      const { port } = new URL(gw.url);
      http
        .get(
          {
            host: '127.0.0.1',
            port,
            path: '/console/sandbox-phones',
            headers: { ...SAME_ORIGIN, host: 'rebound.example' },
          },
          (r) => {
            r.resume();
            resolve(r.statusCode ?? 0);
          },
        )
        .on('error', reject);
    });
    expect(rebound).toBe(403);
  });
});
