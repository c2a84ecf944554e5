// Run by .ci/packages-check.sh from a folder where only the packed tarballs are installed: every import
// below resolves to node_modules there, never to the workspace. It starts `callpush serve` (the installed
// bin, sandbox on), checks the health routes, rings the sandbox user through the emulators with
// @callpush/sdk, reads the ring with @callpush/client as a device would, uses tokens minted offline (the SDK's
// and @callpush/server's export), verifies a signed event with the SDK, and rings once more with the
// installed `callpush call`.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { CallPushClient, isCallPushPayload, queryPushPayload } from '@callpush/client';
import { startEmulators } from '@callpush/emulators';
import { createCallpush, mintAccessToken as mintOffline, ok, SignatureError, verifyEvent } from '@callpush/sdk';
import { mintAccessToken, resolveConfig, SERVE_OPTIONS, startGateway } from '@callpush/server';

const TIMEOUT_MS = 60_000;
const started = Date.now();
const step = (what) => console.log(`packages-check [node ${process.version}, ${Date.now() - started} ms] ${what}`);
function check(ok, what) {
  if (!ok) throw new Error(`packages-check: ${what}`);
}

for (const [name, value] of Object.entries({
  CallPushClient,
  isCallPushPayload,
  queryPushPayload,
  startEmulators,
  createCallpush,
  ok,
  mintOffline,
  verifyEvent,
  mintAccessToken,
  resolveConfig,
  startGateway,
})) {
  check(typeof value === 'function', `export ${name} is a function (got ${typeof value})`);
}
check(Array.isArray(SERVE_OPTIONS) && SERVE_OPTIONS.length > 0, 'SERVE_OPTIONS is a non-empty list');
step('the four packages import');

const version = JSON.parse(readFileSync('node_modules/@callpush/server/package.json', 'utf8')).version;
const bin = 'node_modules/.bin/callpush';

/** The installed `callpush` with `args`; its stdout once it exited 0. */
const callpush = (args) =>
  new Promise((resolve, reject) => {
    const p = spawn(bin, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('exit', (code) =>
      code === 0 ? resolve(out.trim()) : reject(new Error(`callpush ${args[0]} exited ${code}`)),
    );
  });

// `callpush --version` answers with the package version.
const printed = await callpush(['--version']);
check(printed === version, `callpush --version prints ${version} (got ${printed})`);

const env = { ...process.env };
for (const key of Object.keys(env))
  if (key.startsWith('CALLPUSH_') || key === 'DATABASE_URL' || key === 'REDIS_URL') delete env[key];
const server = spawn(bin, ['serve', '--port', '0', '--data-dir', './data', '--sandbox', 'true'], {
  env,
  stdio: ['ignore', 'pipe', 'pipe'],
});
let output = '';
server.stdout.on('data', (d) => (output += d));
server.stderr.on('data', (d) => (output += d));
const exited = new Promise((resolve) => server.on('exit', (code, signal) => resolve({ code, signal })));

try {
  // The ready line: "callpush <version> sandbox is ready in N ms at http://127.0.0.1:PORT".
  const ready = new RegExp(`callpush ${version.replaceAll('.', '\\.')} sandbox is ready in \\d+ ms at (http://\\S+)`);
  let base = ready.exec(output)?.[1];
  while (base === undefined) {
    check(server.exitCode === null, `callpush serve exited early:\n${output}`);
    check(Date.now() - started < TIMEOUT_MS, `no ready line within ${TIMEOUT_MS} ms:\n${output}`);
    await sleep(50);
    base = ready.exec(output)?.[1];
  }
  step(`callpush serve is ready at ${base}`);

  const health = await fetch(`${base}/healthz`);
  check(health.status === 200, `GET /healthz is 200 (got ${health.status})`);
  const readiness = await (await fetch(`${base}/readyz`)).json();
  check(readiness.status === 'ready' && readiness.database === 'sqlite', `GET /readyz: ${JSON.stringify(readiness)}`);
  const openapi = await fetch(`${base}/openapi.json`);
  check(openapi.status === 200, `GET /openapi.json is 200 (got ${openapi.status})`);
  const docs = await fetch(`${base}/docs`, { redirect: 'follow' });
  check(docs.status === 200, `GET /docs is 200 (got ${docs.status})`);
  step('health, readiness, /openapi.json and /docs answer');

  const sandbox = JSON.parse(readFileSync('data/sandbox.json', 'utf8'));
  const cp = createCallpush({ baseUrl: base, appKey: sandbox.appKey, appSecret: sandbox.appSecret });
  const call = await ok(
    cp.POST('/v1/calls', {
      body: { from: 'alice', to: ['bob'], video: true, displayName: 'Alice', headers: { room: 'r-42' } },
    }),
  );

  // Every device of bob is rung through its provider's emulator.
  let deliveries = [];
  while (!(deliveries.length === 4 && deliveries.every((d) => d.state === 'sent'))) {
    check(Date.now() - started < TIMEOUT_MS, `deliveries not all sent: ${JSON.stringify(deliveries)}\n${output}`);
    await sleep(100);
    ({ deliveries } = await ok(cp.GET('/v1/calls/{callId}', { params: { path: { callId: call.callId } } })));
  }
  step(`call ${call.callId}, placed with @callpush/sdk, rang ${deliveries.map((d) => d.provider).join(', ')}`);

  // The HMS emulator (plain HTTP) kept the push; the client library reads it as the Huawei device would.
  const hms = sandbox.emulators.hms.baseUrl;
  const { messages } = await (await fetch(`${hms}/_emulator/messages?token=sandbox-hms-token-bob`)).json();
  const data = messages.at(-1)?.payload?.data;
  check(isCallPushPayload(data), `the HMS push is a callpush payload: ${JSON.stringify(messages)}`);
  const result = queryPushPayload(data);
  check(
    result.isValid && result.isCall && result.callResult?.callId === call.callId && result.callResult?.videoOffered,
    `queryPushPayload reads the ring: ${JSON.stringify(result)}`,
  );
  step('@callpush/client reads the ring the gateway sent');

  // A user token minted offline with @callpush/server's export is accepted by the gateway.
  const { accessToken } = await mintAccessToken(
    { namespace: 'callpush', maxLifetimeSeconds: 3600 },
    { appKey: sandbox.appKey, appSecret: sandbox.appSecret, userId: 'bob', ttlSeconds: 600 },
  );
  const offline = mintOffline({ appKey: sandbox.appKey, appSecret: sandbox.appSecret, userId: 'bob' });
  for (const [by, token] of [
    ['@callpush/server', accessToken],
    ['@callpush/sdk', offline.accessToken],
  ]) {
    const mine = await fetch(`${base}/v1/me/devices`, { headers: { authorization: `Bearer ${token}` } });
    check(mine.status === 200, `GET /v1/me/devices with a token minted by ${by} is 200 (got ${mine.status})`);
  }
  step("tokens minted with @callpush/server's and @callpush/sdk's mintAccessToken are accepted");

  // The app backend's event endpoint: the gateway's signed test event, verified with the SDK.
  const received = [];
  const receiver = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      try {
        received.push(verifyEvent(receiver.secret, Buffer.concat(chunks), req.headers));
        res.writeHead(204).end();
      } catch (err) {
        received.push({ refused: err instanceof SignatureError ? err.message : String(err) });
        res.writeHead(401).end();
      }
    });
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  try {
    const path = { params: { path: { appKey: sandbox.appKey } } };
    const url = `http://127.0.0.1:${receiver.address().port}/events`;
    receiver.secret = (await ok(cp.PUT('/v1/apps/{appKey}/webhooks/events', { ...path, body: { url } }))).signingSecret;
    const test = await ok(cp.POST('/v1/apps/{appKey}/webhooks/events/test', path));
    check(test.status === 204, `the test event was delivered: ${JSON.stringify(test)}`);
    check(
      received.length === 1 && received[0].type === 'test' && received[0].id === test.eventId,
      `verifyEvent accepts the signed test event: ${JSON.stringify(received)}`,
    );
  } finally {
    receiver.close();
  }
  step('@callpush/sdk verifies the signed test event');

  // The installed CLI, as the README's first ring runs it: the sandbox app from ./data/sandbox.json.
  const rang = await callpush(['call', 'bob', '--data-dir', './data']);
  check(/^every delivery is settled \(4 sent\)/m.test(rang), `callpush call bob rings four devices:\n${rang}`);
  step('callpush call bob rang four devices');

  server.kill('SIGTERM');
  const { code, signal } = await exited;
  check(code === 0, `callpush serve stops cleanly on SIGTERM (exit ${code}, signal ${signal}):\n${output}`);
  step('callpush serve stopped on SIGTERM with exit code 0');
} catch (err) {
  server.kill('SIGKILL');
  throw err;
}
