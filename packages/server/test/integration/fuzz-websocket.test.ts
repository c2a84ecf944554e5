import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintAccessToken } from '../../src/infra/tokens/index.js';
import { budget, SEED } from '../support/fuzz/budget.js';
import { type FuzzGateway, startFuzzGateway } from '../support/fuzz/gateway.js';
import { FailureLog, pool } from '../support/fuzz/run.js';
import { needlesOf } from '../support/fuzz/secrets.js';
import { forgedToken } from '../support/fuzz/tokens.js';
import { handshakeHeaders, renderStep, type WsCase, type WsContext, wsCase } from '../support/fuzz/ws-cases.js';
import { openSession, upgradeHeaders } from '../support/fuzz/ws-raw.js';
import { ADMIN_TOKEN, basic } from '../support/gateway.js';
import { request } from '../support/http.js';
import { connectDevice } from '../support/socket.js';

const SESSIONS = budget(1500, 15_000);
const WORKERS = 8;
/** How long a session waits for the server's answers after its last frame before it hangs up itself. */
const SETTLE_MS = 250;
/** A valid hello is answered `ready` within this, even on a loaded machine. */
const READY_MS = 5000;
const RUN_LIMIT_MS = budget(180_000, 1_800_000);

/** Close codes a client may be given (docs/active-connection.md and RFC 6455); 1011 means the gateway failed. */
const ALLOWED_CLOSE = new Set([1000, 1001, 1002, 1003, 1005, 1007, 1008, 1009, 4000, 4001, 4003, 4008, 4009]);

/**
 * issue 13: the active connection under fuzzed WebSocket sessions (frames broken at the WebSocket layer and at
 * the protocol layer, hellos with forged tokens signed with the real app secret). No frame makes the gateway
 * fail (close 1011), log an error, or leak a secret, and it still rings over a socket afterwards.
 */
describe('the active connection under fuzzed WebSocket sessions', () => {
  let gw: FuzzGateway;
  let app: { key: string; secret: string };
  let ctx: WsContext;
  const failures = new FailureLog();
  const closes = new Map<string, number>();

  beforeAll(async () => {
    gw = await startFuzzGateway({ LOG_LEVEL: 'debug', CALLPUSH_SANDBOX: 'false' });
    app = (await request(gw.url, 'POST', '/v1/apps', { auth: `Bearer ${ADMIN_TOKEN}`, body: { name: 'ws-fuzz' } }))
      .body;
    const auth = basic(app.key, app.secret);
    const tokenOf = async (userId: string) =>
      (await request(gw.url, 'POST', `/v1/users/${userId}/access-tokens`, { auth })).body.accessToken as string;
    const placed = await request(gw.url, 'POST', '/v1/calls', { auth, body: { from: 'alice', to: ['bob'] } });
    expect(placed.status, placed.text).toBe(201);
    const expired = await mintAccessToken(
      { namespace: 'callpush', maxLifetimeSeconds: 86_400, now: () => Date.now() - 7_200_000 },
      { appKey: app.key, appSecret: app.secret, userId: 'bob', ttlSeconds: 3600 },
    );
    ctx = {
      token: await tokenOf('bob'),
      otherUserToken: await tokenOf('carol'),
      expiredToken: expired.accessToken,
      callIds: [placed.body.callId],
    };
    gw.log.watch(
      [
        ['admin token', ADMIN_TOKEN],
        ['app secret', app.secret],
        ['bob user token', ctx.token],
        ['carol user token', ctx.otherUserToken],
        ['expired user token', ctx.expiredToken],
      ].flatMap(([name, s]) => needlesOf(name!, s!)),
    );
  });

  afterAll(async () => {
    await gw?.stop();
  });

  it(
    `answers ${SESSIONS} fuzzed sessions without an internal error`,
    async () => {
      const started = Date.now();
      const cases = wsCase(forgedToken(app.key, app.secret, Math.floor(Date.now() / 1000)));
      const BATCH = 250;
      let batch: WsCase[] = [];
      const ran = await pool(SESSIONS, WORKERS, started + RUN_LIMIT_MS, async (i) => {
        if (i % BATCH === 0 || batch.length === 0)
          batch = fc.sample(cases, { seed: SEED + Math.floor(i / BATCH), numRuns: BATCH });
        const c = batch[i % BATCH]!;
        const session = await openSession(gw.url, '/v1/connect', handshakeHeaders(c.handshake, upgradeHeaders()));
        const t = session.transcript;
        const hello = renderStep(
          { kind: 'json', frame: { type: 'hello', token: { kind: 'valid' }, deviceId: `d${i % 40}` } },
          ctx,
        );
        const frames = c.steps.map((s) => renderStep(s, ctx));
        const sent = Buffer.concat([...(c.helloFirst ? [hello] : []), ...frames]);
        const label = [
          c.handshake,
          c.helloFirst ? 'hello' : '',
          ...c.steps.map((s) => (s.kind === 'json' ? s.frame.type : s.kind)),
        ]
          .filter(Boolean)
          .join(' → ');
        if (t.status === 101) {
          if (c.helloFirst) {
            // The rest goes after `ready`, so it reaches the frames of an authenticated socket.
            session.write(hello);
            const ready = await session.until((texts) => texts.some((x) => x.includes('"ready"')), READY_MS);
            if (!ready) failures.add('a valid hello got no ready', 'hello', hello, `${t.closeCode} ${t.closeReason}`);
          }
          for (const f of frames) session.write(f);
          await session.settle(SETTLE_MS);
        }
        session.destroy();
        if (t.status >= 500 || t.status === 0) failures.add(`upgrade answered ${t.status}`, c.handshake, sent);
        const code =
          t.closeCode === undefined ? (t.ended ? 'ended without a close frame' : 'open') : String(t.closeCode);
        closes.set(code, (closes.get(code) ?? 0) + 1);
        // A server answers a client's close frame with the same code: that one is the client's own.
        const echoed = c.steps.some((s) => s.kind === 'close' && s.code === t.closeCode);
        if (t.closeCode !== undefined && !ALLOWED_CLOSE.has(t.closeCode) && !echoed) {
          failures.add(`closed with ${t.closeCode} (${t.closeReason})`, label, sent, t.texts.join(' ').slice(0, 300));
        }
      });
      const seconds = (Date.now() - started) / 1000;
      console.log(
        `fuzz-websocket: ${ran} sessions in ${seconds.toFixed(1)} s (seed ${SEED}), closes ${JSON.stringify(Object.fromEntries(closes))}`,
      );
      expect(ran).toBe(SESSIONS);
      expect(failures.report()).toBe('');
    },
    RUN_LIMIT_MS + 60_000,
  );

  it('is still healthy afterwards: a socket gets the ring of a new call', async () => {
    expect((await request(gw.url, 'GET', '/readyz')).status).toBe(200);
    const s = await connectDevice(gw.url, ctx.token, 'after-fuzz');
    const placed = await request(gw.url, 'POST', '/v1/calls', {
      auth: basic(app.key, app.secret),
      body: { from: 'dave', to: ['bob'] },
    });
    expect(placed.status, placed.text).toBe(201);
    await s.next((f) => f.type === 'call.ring' && f.callId === placed.body.callId);
    s.ws.terminate();
  });

  it('logged no frame at error level (a client cannot flood the log) and no secret', () => {
    expect(gw.log.errorSamples, `${gw.log.errors} error lines`).toEqual([]);
    expect([...gw.log.leaks].map(([what, at]) => `${what} in: ${at}`)).toEqual([]);
  });
});
