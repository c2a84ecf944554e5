import { createSign, randomUUID, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import tls from 'node:tls';
import apn from '@parse/node-apn';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { type Credential, deleteApp, initializeApp } from 'firebase-admin/app';
import { getMessaging, type Message } from 'firebase-admin/messaging';

/**
 * The recipe: the call-push server a team writes itself instead of adopting callpush, as a competent team
 * would, for `npm run bench -- recipe`. Fastify; better-sqlite3 (WAL) with a `devices` table; `POST /calls`
 * stores the call, answers 201, then sends the ring to every device of the callees at once: firebase-admin's
 * `messaging().send()` per FCM token (a high-priority data message) and one `@parse/node-apn` Provider per
 * APNs VoIP token. One firebase-admin app, one apn Provider, keep-alive connections, nothing slowed down.
 *
 * What it leaves out (and callpush does): the outcome of each device, retries beyond the SDKs' own, idempotent
 * call creation, rate and size limits, ring timeouts, cancels and missed-call notices, leases across nodes,
 * metrics. The bench-only parts are marked EMULATOR: in production they are `cert(serviceAccount)` and
 * `new apn.Provider({ token, production })`.
 *
 * Runs as `node bench/recipe/dist/server.js <config.json>` (the bench compiles this file with esbuild, so that
 * no TypeScript loader runs in the measured process).
 */

export interface RecipeConfig {
  host: string;
  port: number;
  /** SQLite file. */
  database: string;
  /** The `Authorization` header value callers present (an app key, as a team's backend would check). */
  authorization: string;
  /** PEM of the CA the emulators' certificates chain to (EMULATOR: production trusts the public roots). */
  ca: string;
  fcm: {
    /** The service-account key file's content. */
    serviceAccount: {
      project_id: string;
      private_key_id: string;
      private_key: string;
      client_email: string;
      token_uri: string;
    };
    /** EMULATOR: the port firebase-admin's connections to fcm.googleapis.com are dialled to on loopback. */
    emulatorPort: number;
  };
  apns: {
    teamId: string;
    keyId: string;
    /** The .p8 key, PEM. */
    privateKey: string;
    /** The app's bundle id; VoIP pushes go to `<bundle id>.voip`. */
    bundleId: string;
    /** EMULATOR: where Apple's host would be. */
    address: string;
    port: number;
  };
}

const config = JSON.parse(readFileSync(process.argv[2] ?? 'recipe.json', 'utf8')) as RecipeConfig;

// --- storage -------------------------------------------------------------------------------------------------

const db = new Database(config.database);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec(`
  create table if not exists devices (
    user_id text not null,
    provider text not null check (provider in ('fcm', 'apns')),
    token text not null,
    kind text not null check (kind in ('alert', 'voip')),
    primary key (provider, token)
  );
  create index if not exists devices_user on devices (user_id);
  create table if not exists calls (
    id text primary key,
    from_user text not null,
    to_users text not null,
    created_at integer not null
  );
`);

interface Device {
  provider: 'fcm' | 'apns';
  token: string;
  kind: 'alert' | 'voip';
}

const upsertDevice = db.prepare<[string, string, string, string]>(
  `insert into devices (user_id, provider, token, kind) values (?, ?, ?, ?)
   on conflict (provider, token) do update set user_id = excluded.user_id, kind = excluded.kind`,
);
const devicesOf = db.prepare<[string], Device>('select provider, token, kind from devices where user_id = ?');
const dropDevice = db.prepare<[string, string]>('delete from devices where provider = ? and token = ?');
const insertCall = db.prepare<[string, string, string, number]>(
  'insert into calls (id, from_user, to_users, created_at) values (?, ?, ?, ?)',
);

// --- providers -----------------------------------------------------------------------------------------------

/** EMULATOR: dials fcm.googleapis.com on loopback. In production firebase-admin's default keep-alive agent does. */
class FcmEmulatorAgent extends https.Agent {
  override createConnection(): tls.TLSSocket {
    return tls.connect({
      host: '127.0.0.1',
      port: config.fcm.emulatorPort,
      ca: config.ca,
      servername: 'fcm.googleapis.com',
      ALPNProtocols: ['http/1.1'],
    });
  }
}

/**
 * EMULATOR: what `cert(serviceAccount)` does (google-auth-library's JWT-bearer grant), against the key file's
 * `token_uri`, which `cert()` ignores for Google's own URL. firebase-admin caches the token until it is about
 * to expire, so this runs about once an hour.
 */
function serviceAccountCredential(account: RecipeConfig['fcm']['serviceAccount']): Credential {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return {
    getAccessToken: async () => {
      const now = Math.floor(Date.now() / 1000);
      const unsigned = `${b64({ alg: 'RS256', typ: 'JWT', kid: account.private_key_id })}.${b64({
        iss: account.client_email,
        scope: 'https://www.googleapis.com/auth/firebase.messaging',
        aud: account.token_uri,
        iat: now,
        exp: now + 3600,
      })}`;
      const signature = createSign('RSA-SHA256').update(unsigned).sign(account.private_key, 'base64url');
      const body = new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        assertion: `${unsigned}.${signature}`,
      }).toString();
      const text = await new Promise<string>((resolve, reject) => {
        const req = https.request(
          account.token_uri,
          { method: 'POST', ca: config.ca, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
          (res) => {
            let data = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              data += chunk;
            });
            res.on('end', () =>
              res.statusCode === 200 ? resolve(data) : reject(new Error(`token ${res.statusCode}: ${data}`)),
            );
          },
        );
        req.on('error', reject);
        req.setTimeout(10_000, () => req.destroy(new Error('token request timeout')));
        req.end(body);
      });
      const token = JSON.parse(text) as { access_token: string; expires_in: number };
      return { access_token: token.access_token, expires_in: token.expires_in };
    },
  };
}

const firebase = initializeApp({
  credential: serviceAccountCredential(config.fcm.serviceAccount),
  projectId: config.fcm.serviceAccount.project_id,
  httpAgent: new FcmEmulatorAgent({ keepAlive: true }),
});
const messaging = getMessaging(firebase);

const apns = new apn.Provider({
  token: { key: config.apns.privateKey, keyId: config.apns.keyId, teamId: config.apns.teamId },
  production: false,
  address: config.apns.address,
  port: config.apns.port,
  ca: [config.ca],
});

/** How long a ring may wait at the provider: a call rings for about 30 s. */
const RING_TTL_S = 30;

async function sendFcm(callId: string, from: string, token: string): Promise<void> {
  const message: Message = {
    token,
    // FCM reserves the data key `from` (and `message_type`, `google.*`, `gcm.*`).
    data: { type: 'call.ring', callId, caller: from },
    android: { priority: 'high', ttl: RING_TTL_S * 1000, collapseKey: callId },
  };
  try {
    await messaging.send(message);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'messaging/registration-token-not-registered') dropDevice.run('fcm', token);
    else app.log.warn({ err, token }, 'FCM send failed');
  }
}

async function sendApns(callId: string, from: string, token: string): Promise<void> {
  const note = new apn.Notification();
  note.pushType = 'voip';
  note.topic = `${config.apns.bundleId}.voip`;
  note.priority = 10;
  note.expiry = Math.floor(Date.now() / 1000) + RING_TTL_S;
  note.collapseId = callId;
  note.payload = { type: 'call.ring', callId, caller: from };
  const { failed } = await apns.send(note, token);
  for (const f of failed) {
    if (f.status === 410 || f.response?.reason === 'BadDeviceToken') dropDevice.run('apns', token);
    else app.log.warn({ status: f.status, reason: f.response?.reason, error: f.error?.message }, 'APNs send failed');
  }
}

function ring(callId: string, from: string, devices: Device[]): Promise<unknown> {
  return Promise.allSettled(
    devices.map((d) =>
      d.provider === 'fcm'
        ? sendFcm(callId, from, d.token)
        : d.kind === 'voip'
          ? sendApns(callId, from, d.token)
          : null,
    ),
  );
}

// --- HTTP ----------------------------------------------------------------------------------------------------

const app = Fastify({ logger: { level: 'warn' } });
const expected = Buffer.from(config.authorization);

app.addHook('onRequest', async (req, reply) => {
  if (req.url === '/healthz') return;
  const given = Buffer.from(req.headers.authorization ?? '');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return reply.code(401).send({ error: 'unauthorized' });
  }
});

app.get('/healthz', async () => ({ ok: true }));

const id = { type: 'string', minLength: 1, maxLength: 128 } as const;

app.post<{ Body: { userId: string } & Device }>(
  '/devices',
  {
    schema: {
      body: {
        type: 'object',
        required: ['userId', 'provider', 'token', 'kind'],
        properties: {
          userId: id,
          provider: { enum: ['fcm', 'apns'] },
          token: { type: 'string', minLength: 1, maxLength: 4096 },
          kind: { enum: ['alert', 'voip'] },
        },
      },
    },
  },
  async (req, reply) => {
    const { userId, provider, token, kind } = req.body;
    upsertDevice.run(userId, provider, token, kind);
    return reply.code(204).send();
  },
);

app.post<{ Body: { from: string; to: string[] } }>(
  '/calls',
  {
    schema: {
      body: {
        type: 'object',
        required: ['from', 'to'],
        properties: { from: id, to: { type: 'array', minItems: 1, maxItems: 20, items: id } },
      },
    },
  },
  async (req, reply) => {
    const createdAt = Date.now();
    const callId = randomUUID();
    const { from, to } = req.body;
    const devices = to.flatMap((user) => devicesOf.all(user));
    insertCall.run(callId, from, JSON.stringify(to), createdAt);
    reply.code(201).send({ callId, createdAt });
    void ring(callId, from, devices);
    return reply;
  },
);

let closing = false;
async function shutdown(): Promise<void> {
  if (closing) return;
  closing = true;
  await app.close();
  await apns.shutdown();
  await deleteApp(firebase);
  db.close();
  process.exit(0);
}
process.once('SIGTERM', () => void shutdown());
process.once('SIGINT', () => void shutdown());

await app.listen({ host: config.host, port: config.port });
