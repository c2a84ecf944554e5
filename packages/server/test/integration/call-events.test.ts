import { type Emulators, startEmulators } from '@callpush/emulators';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorProviderCredentials } from '../../src/edges/sandbox/index.js';
import { ADMIN_TOKEN, basic, startTestGateway, type TestGateway } from '../support/gateway.js';
import { type CallOptions, request } from '../support/http.js';
import { until } from '../support/wait.js';

interface Sse {
  status: number;
  contentType: string | null;
  /** Events so far, in order. */
  events: Array<{ event: string; data: Record<string, unknown> }>;
  done: Promise<void>;
  close(): void;
}

/** Opens a stream and gathers its events as they come. */
async function openSse(url: string, auth: string | undefined): Promise<Sse> {
  const abort = new AbortController();
  const r = await fetch(url, { headers: auth ? { authorization: auth } : {}, signal: abort.signal });
  const events: Sse['events'] = [];
  const read = async () => {
    if (!r.ok || !r.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of r.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) events.push({ event, data: JSON.parse(data) });
        end = buffer.indexOf('\n\n');
      }
    }
  };
  return {
    status: r.status,
    contentType: r.headers.get('content-type'),
    events,
    done: read().catch(() => undefined),
    close: () => abort.abort(),
  };
}

/** `GET /v1/calls/{callId}/events`: a call's changes as server-sent events, bounded and for its own app only. */
describe('the call event stream', () => {
  let emu: Emulators;
  let gw: TestGateway;
  let app: { key: string; secret: string };
  let other: { key: string; secret: string };
  const call = (method: string, path: string, opts?: CallOptions) => request(gw.url, method, path, opts);
  const appAuth = () => basic(app.key, app.secret);

  async function place(to: string, extra: Record<string, unknown> = {}): Promise<string> {
    const r = await call('POST', '/v1/calls', { auth: appAuth(), body: { from: 'alice', to: [to], ...extra } });
    expect(r.status, r.text).toBe(201);
    return r.body.callId as string;
  }

  beforeAll(async () => {
    emu = await startEmulators();
    gw = await startTestGateway('sqlite', { CALLPUSH_STREAMS_PER_APP: '2' }, { providerCa: emu.tls.ca });
    const admin = { auth: `Bearer ${ADMIN_TOKEN}` };
    app = (await call('POST', '/v1/apps', { ...admin, body: { name: 'streams' } })).body;
    other = (await call('POST', '/v1/apps', { ...admin, body: { name: 'another' } })).body;
    const r = await call('PUT', `/v1/apps/${app.key}/providers/fcm`, {
      auth: appAuth(),
      body: emulatorProviderCredentials(emu.credentials).fcm,
    });
    expect(r.status, r.text).toBe(201);
    const token = (await call('POST', '/v1/users/bob/access-tokens', { auth: appAuth() })).body.accessToken;
    const device = await call('PUT', '/v1/me/devices/pixel', {
      auth: `Bearer ${token}`,
      body: { provider: 'fcm', token: 'bob-stream-fcm', kind: 'alert' },
    });
    expect(device.status, device.text).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
    await emu?.close();
  });

  it('sends the call as it changes, then ends once it is settled', async () => {
    const callId = await place('bob');
    const sse = await openSse(`${gw.url}/v1/calls/${callId}/events`, appAuth());
    expect(sse.status).toBe(200);
    expect(sse.contentType).toMatch(/^text\/event-stream/);
    await until('the ring is sent', async () =>
      sse.events.some((e) => (e.data.deliveries as Array<{ state: string }> | undefined)?.[0]?.state === 'sent'),
    );
    expect(sse.events[0]).toMatchObject({ event: 'call', data: { callId, state: 'ringing' } });
    await call('POST', `/v1/calls/${callId}/cancel`, { auth: appAuth() });
    await sse.done;
    const last = sse.events.at(-1)!;
    expect(last).toEqual({ event: 'end', data: { reason: 'settled' } });
    expect(sse.events.at(-2)).toMatchObject({ event: 'call', data: { state: 'cancelled' } });
    // Each event is a change: no two alike in a row.
    const calls = sse.events.filter((e) => e.event === 'call').map((e) => JSON.stringify(e.data));
    expect(new Set(calls).size).toBe(calls.length);
  });

  it('sends a settled call once and ends at once', async () => {
    const callId = await place('nobody-here', { ringTimeoutSeconds: 1 });
    await call('POST', `/v1/calls/${callId}/cancel`, { auth: appAuth() });
    const sse = await openSse(`${gw.url}/v1/calls/${callId}/events`, appAuth());
    await sse.done;
    expect(sse.events.map((e) => e.event)).toEqual(['call', 'end']);
  });

  it("refuses another app's call, an unknown one, a user token and no credentials, in the error contract", async () => {
    const callId = await place('bob');
    const path = `/v1/calls/${callId}/events`;
    const stranger = await call('GET', path, { auth: basic(other.key, other.secret) });
    expect(stranger.status).toBe(404);
    expect(stranger.body.error.code).toBe('call_not_found');
    expect((await call('GET', '/v1/calls/c_nothing/events', { auth: appAuth() })).status).toBe(404);
    const token = (await call('POST', '/v1/users/bob/access-tokens', { auth: appAuth() })).body.accessToken;
    const user = await call('GET', path, { auth: `Bearer ${token}` });
    expect(user.status).toBe(401);
    expect(user.body.error.code).toBe('app_credentials_required');
    expect((await call('GET', path)).status).toBe(401);
    const long = await call('GET', `/v1/calls/${'x'.repeat(65)}/events`, { auth: appAuth() });
    expect(long.status).toBe(400);
    expect(long.body.error.field).toBeDefined();
    expect((await call('HEAD', path, { auth: appAuth() })).status).toBe(404);
    await call('POST', `/v1/calls/${callId}/cancel`, { auth: appAuth() });
  });

  it('bounds the streams an app holds open, and frees one when its client hangs up', async () => {
    const callId = await place('bob', { ringTimeoutSeconds: 30 });
    const path = `${gw.url}/v1/calls/${callId}/events`;
    const first = await openSse(path, appAuth());
    const second = await openSse(path, appAuth());
    expect([first.status, second.status]).toEqual([200, 200]);
    const third = await call('GET', `/v1/calls/${callId}/events`, { auth: appAuth() });
    expect(third.status).toBe(429);
    expect(third.body.error.code).toBe('too_many_streams');
    expect(third.headers.get('retry-after')).toBe('5');
    // Another app's share is its own.
    const theirs = await call('GET', `/v1/calls/${callId}/events`, { auth: basic(other.key, other.secret) });
    expect(theirs.status).toBe(404);
    first.close();
    await until('the slot is free', async () => {
      const again = await openSse(path, appAuth());
      again.close();
      return again.status === 200;
    });
    second.close();
    await call('POST', `/v1/calls/${callId}/cancel`, { auth: appAuth() });
  });
});
