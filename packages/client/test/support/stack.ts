import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { type Emulators, startEmulators } from '@callpush/emulators';
import {
  emulatorProviderCredentials,
  type Gateway,
  mintAccessToken,
  resolveConfig,
  startGateway,
} from '@callpush/server';
import WebSocket from 'ws';
import { CallPushClient, type CallPushClientOptions, type ClientEvents, type ConnectOptions } from '../../src/index.js';

const ADMIN_TOKEN = 'client-test-admin-token-0123456789';

// biome-ignore lint/suspicious/noExplicitAny: gateway JSON of many shapes, asserted field by field
export type Json = any;

export interface Response<T = Json> {
  status: number;
  body: T;
}

/** A gateway on loopback (SQLite in a temp folder) with one app whose providers point at the emulators. */
export interface Stack {
  baseUrl: string;
  gateway: Gateway;
  emulators: Emulators;
  app: { key: string; secret: string };
  /** A request with the app's credentials (HTTP Basic). */
  asApp<T = Json>(method: string, path: string, body?: unknown): Promise<Response<T>>;
  /** A user access token issued by the gateway. */
  userToken(userId: string): Promise<string>;
  /** A validly signed user token issued `ageSeconds` ago for `ttlSeconds` (default: expired an hour ago). */
  oldToken(userId: string, ageSeconds?: number, ttlSeconds?: number): Promise<string>;
  /**
   * A client for `userId` (with `ws` unless told otherwise), connected with a provider that counts its calls:
   * tokens issued by this gateway unless another provider is given.
   */
  client(userId: string, options: CallPushClientOptions, connect?: Partial<ConnectOptions>): Promise<TestClient>;
  close(): Promise<void>;
}

export interface TestClient {
  client: CallPushClient;
  /** How often the access token provider was asked. */
  providerCalls: () => number;
}

export async function startStack(env: Record<string, string> = {}): Promise<Stack> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'callpush-client-test-'));
  const emulators = await startEmulators();
  const config = resolveConfig({
    env: {
      PORT: '0',
      HOST: '127.0.0.1',
      CALLPUSH_DATA_DIR: dataDir,
      CALLPUSH_ADMIN_TOKEN: ADMIN_TOKEN,
      // The emulators listen on loopback: the operator's setting that lets credentials point there.
      CALLPUSH_ALLOW_PRIVATE_ENDPOINTS: 'true',
      ...env,
    },
  });
  const gateway = await startGateway(config, { logStream: new PassThrough().resume(), providerCa: emulators.tls.ca });
  const baseUrl = gateway.url;
  const send = async (method: string, path: string, auth: string, body?: unknown): Promise<Response> => {
    const r = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : undefined };
  };
  const app = (await send('POST', '/v1/apps', `Bearer ${ADMIN_TOKEN}`, { name: 'client-tests' })).body;
  const basic = `Basic ${Buffer.from(`${app.key}:${app.secret}`).toString('base64')}`;
  const asApp = (method: string, path: string, body?: unknown) => send(method, path, basic, body);
  for (const [name, credential] of Object.entries(emulatorProviderCredentials(emulators.credentials))) {
    const r = await asApp('PUT', `/v1/apps/${app.key}/providers/${name}`, credential);
    if (r.status !== 201) throw new Error(`provider ${name}: ${r.status} ${JSON.stringify(r.body)}`);
  }
  const userToken = async (userId: string) => {
    const r = await asApp('POST', `/v1/users/${userId}/access-tokens`);
    if (r.status !== 201) throw new Error(`token for ${userId}: ${r.status}`);
    return r.body.accessToken as string;
  };
  const clients: CallPushClient[] = [];
  return {
    baseUrl,
    gateway,
    emulators,
    app,
    asApp,
    userToken,
    oldToken: async (userId, ageSeconds = 7200, ttlSeconds = 3600) =>
      (
        await mintAccessToken(
          { namespace: config.tokenNamespace, maxLifetimeSeconds: 86_400, now: () => Date.now() - ageSeconds * 1000 },
          { appKey: app.key, appSecret: app.secret, userId, ttlSeconds },
        )
      ).accessToken,
    client: async (userId, options, connect = {}) => {
      let calls = 0;
      const client = new CallPushClient({ webSocket: WebSocket, ...options });
      clients.push(client);
      const provider = connect.accessTokenProvider ?? userToken;
      await client.connect({
        baseUrl: connect.baseUrl ?? baseUrl,
        userId,
        accessTokenProvider: (u) => {
          calls++;
          return provider(u);
        },
      });
      return { client, providerCalls: () => calls };
    },
    close: async () => {
      for (const c of clients) c.disconnect();
      await gateway.close();
      await emulators.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Every emission of `event` so far, as argument lists. */
export function record<K extends keyof ClientEvents>(client: CallPushClient, event: K): ClientEvents[K][] {
  const seen: ClientEvents[K][] = [];
  client.on(event, (...args) => seen.push(args));
  return seen;
}

/** The FCM data maps the emulator received for `token`, in order. */
export function fcmData(stack: Stack, token: string): Array<Record<string, string>> {
  return stack.emulators.fcm.messages.list({ token }).map((m) => (m.payload as { data: Record<string, string> }).data);
}

/** The v1 message type inside an FCM data map. */
export function typeOf(data: Record<string, string>): string {
  return JSON.parse(data.callpush ?? '{}').type;
}
