import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fcmCredential } from '../support/credentials.js';
import { basic } from '../support/gateway.js';
import { request } from '../support/http.js';
import { type NodeProcess, startNode } from '../support/node-process.js';
import { openTcp, parseReply, receiveAll } from '../support/raw-http.js';
import { connectDevice } from '../support/socket.js';
import { sleep, until } from '../support/wait.js';

const ADMIN_TOKEN = 'shutdown-test-admin-token-0123';
const GRACE_MS = 1000;

/** Deliveries some node holds a lease on, read from the embedded database while the node runs or after. */
function leasedDeliveries(dataDir: string): number {
  const db = new SQLite(path.join(dataDir, 'callpush.db'), { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM deliveries WHERE lease_until > 0').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/**
 * Issue 13 item 2: a SIGTERM ends `callpush serve` within the grace period plus a second, whatever its
 * clients do (idle keep-alive connections, a body trickled byte by byte, a WebSocket that never answers the
 * close) and whatever a provider does (a token endpoint that accepts and never answers); requests in flight
 * get the grace period to finish, and the node's delivery leases are released before it exits.
 */
describe('a clean stop with hostile clients', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'callpush-shutdown-'));
  const held: net.Socket[] = [];
  // A provider that takes the connection and never says a word.
  let providerConnections = 0;
  const silent = net.createServer((socket) => {
    providerConnections += 1;
    held.push(socket);
  });
  let node: NodeProcess;

  beforeAll(async () => {
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    node = await startNode({
      CALLPUSH_DATA_DIR: dataDir,
      CALLPUSH_ADMIN_TOKEN: ADMIN_TOKEN,
      CALLPUSH_SHUTDOWN_GRACE_MS: String(GRACE_MS),
      CALLPUSH_ALLOW_PRIVATE_ENDPOINTS: 'true',
      // The ring over the socket gets no receipt, so its push goes out soon, to a provider that never answers.
      CALLPUSH_ACK_WINDOW_MS: '300',
    });
  });
  afterAll(async () => {
    for (const s of held) s.destroy();
    silent.close();
    await node?.kill();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('exits within grace + 1 s, answers what was in flight and releases its leases', async () => {
    const app = (await request(node.url, 'POST', '/v1/apps', { auth: `Bearer ${ADMIN_TOKEN}`, body: { name: 's' } }))
      .body;
    const appAuth = basic(app.key, app.secret);
    const credential = fcmCredential();
    credential.serviceAccount.token_uri = `https://127.0.0.1:${(silent.address() as net.AddressInfo).port}/token`;
    const put = await request(node.url, 'PUT', `/v1/apps/${app.key}/providers/fcm`, {
      auth: appAuth,
      body: credential,
    });
    expect(put.status, put.text).toBe(201);
    const token = (await request(node.url, 'POST', '/v1/users/bob/access-tokens', { auth: appAuth })).body.accessToken;
    const device = await request(node.url, 'PUT', '/v1/me/devices/phone', {
      auth: `Bearer ${token}`,
      body: { provider: 'fcm', token: 'fcm-token-of-bob', kind: 'alert' },
    });
    expect(device.status, device.text).toBe(201);

    // A WebSocket whose client stops reading: it never sees, let alone answers, the close.
    const ws = await connectDevice(node.url, token, 'phone');
    const call = await request(node.url, 'POST', '/v1/calls', { auth: appAuth, body: { from: 'ann', to: ['bob'] } });
    expect(call.status, call.text).toBe(201);
    await ws.next((f) => f.type === 'call.ring');
    (ws.ws as unknown as { _socket: net.Socket })._socket.pause();
    await until('the push is stuck at the provider', () => providerConnections > 0);
    expect(leasedDeliveries(dataDir)).toBeGreaterThan(0);

    // 20 idle keep-alive connections, each after one answered request, and 5 that never sent a byte.
    for (let i = 0; i < 20; i++) {
      const socket = await openTcp(node.url);
      held.push(socket);
      const answered = new Promise((resolve) => socket.once('data', resolve));
      socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      await answered;
    }
    for (let i = 0; i < 5; i++) held.push(await openTcp(node.url));

    // The unauthenticated webhook, trickled a byte at a time: in flight and never finishing.
    const trickle = await openTcp(node.url);
    held.push(trickle);
    trickle.on('error', () => undefined);
    trickle.write(`POST /v1/webhooks/kaleyra/${app.key} HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n`);
    const dripper = setInterval(() => trickle.writable && trickle.write('x'), 100);

    // A request in flight that finishes within the grace, with a second one pipelined behind it.
    const finishing = await openTcp(node.url);
    held.push(finishing);
    const finishingAnswer = receiveAll(finishing);
    finishing.write(`POST /v1/webhooks/kaleyra/${app.key} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{`);
    await sleep(200);

    const started = Date.now();
    const exited = new Promise<number | null>((resolve) => node.child.once('exit', (code) => resolve(code)));
    node.child.kill('SIGTERM');
    await sleep(300);
    finishing.write('}GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    const code = await exited;
    const took = Date.now() - started;
    clearInterval(dripper);

    expect(code).toBe(0);
    expect(took, `the stop took ${took} ms`).toBeLessThan(GRACE_MS + 1000);
    // The request in flight got its answer (the signature check's refusal), then the pipelined one was
    // refused in the contract: the node no longer takes work.
    const text = await finishingAnswer;
    const first = parseReply(text);
    expect(first.status).toBe(401);
    const second = parseReply(text.slice(text.indexOf('HTTP/1.1', 1)));
    expect([second.status, second.json?.error?.code, second.headers.connection]).toEqual([
      503,
      'shutting_down',
      'close',
    ]);
    expect(leasedDeliveries(dataDir)).toBe(0);
    expect(node.lines.filter((l) => l.includes('"level":50'))).toEqual([]);
  });
});
