import { randomUUID } from 'node:crypto';
import {
  createSecureServer,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type Http2Session,
  type SecureServerOptions,
} from 'node:http2';
import type { Behaviour } from '../core/behaviours.js';
import { BehaviourStore } from '../core/behaviours.js';
import type { EmulatorHandle, EmulatorOptions } from '../core/handle.js';
import { plainHeaders, sendJson } from '../core/http.js';
import { type ExtraRoutes, handleInspection } from '../core/inspection.js';
import { listen } from '../core/listen.js';
import { MessageStore } from '../core/messages.js';
import { playScripted } from '../core/scripted.js';
import { type EmulatorTls, generateEmulatorTls } from '../core/tls.js';
import { apnsDeviceView } from './device-view.js';
import { type ApnsEnvironment, type DeviceBinding, DeviceRegistry, deviceTokenFromPath } from './devices.js';
import { responseApnsId, validateApnsHeaders } from './headers.js';
import { decodePayload, readPayloadBytes } from './payload.js';
import { ConnectionAuth, type ProviderKey, ProviderKeyRing } from './provider-token.js';
import { APNS_REASON_STATUS, type ApnsReason, ApnsRejection } from './reasons.js';

export interface ApnsEmulatorOptions extends EmulatorOptions {
  /** The environment played: `development` (the sandbox host; answers carry `apns-unique-id`) or `production`. Default development. */
  environment?: ApnsEnvironment;
  /** Team and key id of the generated key (random Apple-shaped ids by default). */
  teamId?: string;
  keyId?: string;
  /**
   * A key to accept instead of generating one. Apple's sandbox and production gateways accept the same keys,
   * so a sandbox and a production emulator started with one key play the two hosts of one developer account.
   */
  key?: ProviderKey;
  /** Clock in epoch ms for provider-token ages and 410 timestamps; tests inject one. */
  now?: () => number;
}

export interface ApnsEmulator extends EmulatorHandle, ProviderKey {
  port: number;
  host: string;
  environment: ApnsEnvironment;
  /** The TLS material served; clients trust `tls.ca`. */
  tls: EmulatorTls;
  /** Generates another signing key, by default for the same team. */
  addKey(teamId?: string, keyId?: string): ProviderKey;
  /** Declares what a device token belongs to, so mismatches fail like on APNs. */
  registerDevice(token: string, binding: DeviceBinding): void;
}

/** The scripted behaviours that answer with a reason, and the reason. */
const SCRIPTED_REASON: Partial<Record<Behaviour['kind'], ApnsReason>> = {
  unregistered: 'Unregistered',
  invalid: 'BadDeviceToken',
  rate_limited: 'TooManyRequests',
  unavailable: 'ServiceUnavailable',
  auth_expired: 'ExpiredProviderToken',
  goaway: 'Shutdown',
};

/** What a connection's SETTINGS allow, and what a throttled connection returns to (APNs: some 500 to 1000). */
const MAX_CONCURRENT_STREAMS = 1000;

/** Only the `apns-*` request headers are recorded: the rest is transport, and the JWT is a credential. */
function apnsHeaders(req: Http2ServerRequest): Record<string, string> {
  return Object.fromEntries(Object.entries(plainHeaders(req)).filter(([name]) => name.startsWith('apns-')));
}

/** Starts an APNs provider API (HTTP/2 over TLS) with a generated signing key. */
export async function startApnsEmulator(options: ApnsEmulatorOptions = {}): Promise<ApnsEmulator> {
  const now = options.now ?? Date.now;
  const environment = options.environment ?? 'development';
  const tls = options.tls ?? (await generateEmulatorTls());
  const messages = new MessageStore('apns');
  const behaviours = new BehaviourStore();
  const keys = new ProviderKeyRing();
  const key = options.key ? keys.adopt(options.key) : keys.add(options.teamId, options.keyId);
  const devices = new DeviceRegistry(environment);
  const auth = new WeakMap<Http2Session, ConnectionAuth>();

  const authFor = (session: Http2Session): ConnectionAuth => {
    const state = auth.get(session) ?? new ConnectionAuth(keys, now);
    auth.set(session, state);
    return state;
  };

  // Apple's answer to a rejected notification (docs/emulators.md#apns-stream-limit): its connection carries one
  // stream at a time until a notification on it is accepted. These are the connections held to one stream.
  const throttled = new WeakSet<Http2Session>();
  const limitStreams = (session: Http2Session | undefined, rejected: boolean): void => {
    if (!session || session.closed || session.destroyed || rejected === throttled.has(session)) return;
    if (rejected) throttled.add(session);
    else throttled.delete(session);
    session.settings({ maxConcurrentStreams: rejected ? 1 : MAX_CONCURRENT_STREAMS });
  };

  const reject = (
    res: Http2ServerResponse,
    reason: ApnsReason,
    apnsId: string,
    session: Http2Session | undefined,
  ): void => {
    const status = APNS_REASON_STATUS[reason];
    // Lowered before the answer goes out, so a client reading the answer knows the limit; a 5xx rejects nothing.
    if (status < 500) limitStreams(session, true);
    const body = reason === 'Unregistered' ? { reason, timestamp: now() } : { reason };
    sendJson(res, status, body, { 'apns-id': apnsId });
  };

  const extra: ExtraRoutes = {
    'POST devices': (_req, res, body) => {
      const { token, topic, environment: env } = (body ?? {}) as Record<string, unknown>;
      if (
        typeof token !== 'string' ||
        typeof topic !== 'string' ||
        (env !== undefined && env !== 'development' && env !== 'production')
      ) {
        sendJson(res, 400, {
          error: {
            code: 'invalid_device',
            message: 'expected {"token", "topic", "environment"?: "development" | "production"}',
          },
        });
        return;
      }
      devices.register(token, { topic, ...(env === undefined ? {} : { environment: env }) });
      sendJson(res, 201, { token, topic, environment: env ?? environment });
    },
  };

  async function push(req: Http2ServerRequest, res: Http2ServerResponse): Promise<void> {
    const apnsId = responseApnsId(req.headers);
    // Taken now: a stream forgets its session once it has closed.
    const session = req.stream.session;
    try {
      const body = await readPayloadBytes(req);
      const token = deviceTokenFromPath(req.url);
      if (req.method !== 'POST') throw new ApnsRejection('MethodNotAllowed');
      const connection = authFor(session!);
      await connection.authorize(req.headers.authorization);
      const { pushType, topic } = validateApnsHeaders(req.headers, req.rawHeaders);
      const payload = decodePayload(body, pushType);
      devices.check(token, topic);

      // Apple names the reason of a GOAWAY in its opaque data.
      const scripted = await playScripted(behaviours, token, req, res, JSON.stringify({ reason: 'Shutdown' }));
      if (scripted === 'dropped') return;
      if (scripted?.kind === 'auth_expired') connection.expire();
      const reason = scripted && SCRIPTED_REASON[scripted.kind];
      if (reason) return reject(res, reason, apnsId, session);

      const headers = apnsHeaders(req);
      messages.record(token, headers, payload, apnsDeviceView(headers, pushType, payload));
      res.writeHead(200, {
        'apns-id': apnsId,
        ...(environment === 'development' ? { 'apns-unique-id': randomUUID() } : {}),
      });
      res.end();
      limitStreams(session, false);
    } catch (err) {
      if (err instanceof ApnsRejection) return reject(res, err.reason, apnsId, session);
      reject(res, 'InternalServerError', apnsId, session);
    }
  }

  async function handle(req: Http2ServerRequest, res: Http2ServerResponse): Promise<void> {
    if (await handleInspection(req, res, messages, behaviours, extra)) return;
    // HTTP/1.1 is let in for the inspection API only (fetch and curl speak it); APNs itself is HTTP/2-only.
    if (req.httpVersionMajor < 2) {
      res.writeHead(505, { 'content-type': 'text/plain', connection: 'close' });
      res.end('APNs requires HTTP/2\n');
      return;
    }
    await push(req, res);
  }

  const serverOptions: SecureServerOptions & { maxOutstandingSettings: number } = {
    key: tls.key,
    cert: tls.cert,
    allowHTTP1: true,
    settings: { maxConcurrentStreams: MAX_CONCURRENT_STREAMS },
    // Each answer may change the stream limit, faster than a busy client's acknowledgements come back: past
    // Node's default of 10 unacknowledged SETTINGS the session would be destroyed under the client. (Node
    // reads this option; its type declarations lack it.)
    maxOutstandingSettings: 2 ** 32 - 1,
  };
  const server = createSecureServer(serverOptions, (req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) sendJson(res, 500, { reason: 'InternalServerError' });
    });
  });
  const listening = await listen(server, 'https', options);
  return {
    ...key,
    baseUrl: listening.baseUrl,
    port: listening.port,
    host: options.host ?? '127.0.0.1',
    environment,
    tls,
    messages,
    behaviours,
    addKey: (teamId = key.teamId, keyId?: string) => keys.add(teamId, keyId),
    registerDevice: (token, binding) => devices.register(token, binding),
    close: listening.close,
  };
}
