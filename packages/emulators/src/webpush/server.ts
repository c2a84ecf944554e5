import { createServer } from 'node:http';
import { createSecureServer } from 'node:http2';
import type { Server } from 'node:net';
import type { Behaviour } from '../core/behaviours.js';
import { BehaviourStore } from '../core/behaviours.js';
import type { DeviceView } from '../core/device-view.js';
import type { EmulatorHandle, EmulatorOptions } from '../core/handle.js';
import {
  type AnyRequest,
  type AnyResponse,
  BodyTooLargeError,
  plainHeaders,
  readBody,
  send,
  sendJson,
} from '../core/http.js';
import { type ExtraRoutes, handleInspection } from '../core/inspection.js';
import { listen } from '../core/listen.js';
import { MessageStore } from '../core/messages.js';
import { playScripted } from '../core/scripted.js';
import { type EmulatorTls, generateEmulatorTls } from '../core/tls.js';
import { parseDeclarative } from './declarative.js';
import { decryptAes128gcm, EceError, parseAes128gcmHeader } from './ece.js';
import { validatePushHeaders } from './push-headers.js';
import { WebPushRejection } from './rejection.js';
import {
  InvalidApplicationServerKeyError,
  type IssuedSubscription,
  type StoredSubscription,
  type SubscribeOptions,
  SubscriptionStore,
} from './subscriptions.js';
import { parseVapidAuthorization, verifyVapid } from './vapid.js';

export interface WebPushEmulatorOptions extends EmulatorOptions {
  /** HTTPS (HTTP/1.1 and HTTP/2 by ALPN) when true, the default; plain HTTP/1.1 when false. */
  secure?: boolean;
  /** The largest TTL the service keeps, echoed in the response `TTL` header (default 28 days). */
  maxTtlSeconds?: number;
  /** Clock in epoch ms for VAPID `exp` checks; tests inject one. */
  now?: () => number;
}

export interface WebPushEmulator extends EmulatorHandle {
  port: number;
  host: string;
  secure: boolean;
  /** The TLS material served when `secure`; clients trust `tls.ca`. */
  tls: EmulatorTls | undefined;
  /** Issues a subscription as a browser's `pushManager.subscribe()` would. */
  createSubscription(options?: SubscribeOptions): IssuedSubscription;
  /** Unsubscribes: pushes to it get 410 from now on. False when the id is unknown. */
  unsubscribe(id: string): boolean;
}

/** Push services must accept at least 4096 octets (RFC 8030 §7.2); this one accepts no more. */
const MAX_BODY = 4096;
const PUSH_PATH = /^\/push\/([A-Za-z0-9_-]+)$/;

/** The scripted behaviours that answer with a status, and how. */
const SCRIPTED: Partial<Record<Behaviour['kind'], (b: Behaviour) => WebPushRejection>> = {
  unregistered: () => new WebPushRejection(410, 'unsubscribed', 'the subscription is gone'),
  invalid: () => new WebPushRejection(404, 'expired_subscription', 'no such subscription'),
  rate_limited: (b) =>
    new WebPushRejection(429, 'rate_limited', 'too many messages', { 'retry-after': String(b.retryAfterSeconds ?? 1) }),
  unavailable: () => new WebPushRejection(503, 'unavailable', 'the push service is unavailable'),
  auth_expired: () => new WebPushRejection(403, 'vapid_expired', 'the VAPID JWT has expired'),
  goaway: () => new WebPushRejection(503, 'shutting_down', 'the push service is shutting down'),
};

/** The decrypted payload as the inspection API shows it: JSON when it parses, text otherwise. */
function decodePlaintext(plaintext: Buffer): unknown {
  const text = plaintext.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** What the browser shows by itself of a payload: only a declarative push message's notification. */
function browserView(payload: unknown): Pick<DeviceView, 'notification' | 'declarativeError'> {
  const parsed = parseDeclarative(payload);
  if (!parsed) return {};
  return 'error' in parsed ? { declarativeError: parsed.error } : { notification: parsed.notification };
}

/** Starts a Web Push service (RFC 8030 with RFC 8291 encryption and RFC 8292 VAPID). */
export async function startWebPushEmulator(options: WebPushEmulatorOptions = {}): Promise<WebPushEmulator> {
  const secure = options.secure ?? true;
  const now = options.now ?? Date.now;
  const maxTtl = options.maxTtlSeconds ?? 2_419_200;
  const tls = secure ? (options.tls ?? (await generateEmulatorTls())) : undefined;
  const messages = new MessageStore('webpush');
  const behaviours = new BehaviourStore();
  const subscriptions = new SubscriptionStore();
  // Endpoints and the VAPID audience name the bound port, known once listening (before any request).
  let baseUrl = '';
  let origin = '';

  const extra: ExtraRoutes = {
    'POST subscriptions': (_req, res, body) => {
      const { applicationServerKey } = (body ?? {}) as Record<string, unknown>;
      try {
        if (applicationServerKey !== undefined && typeof applicationServerKey !== 'string') {
          throw new InvalidApplicationServerKeyError('applicationServerKey must be a string');
        }
        const { id, ...subscription } = subscriptions.create(baseUrl, { applicationServerKey });
        sendJson(res, 201, { subscription, id });
      } catch (err) {
        if (!(err instanceof InvalidApplicationServerKeyError)) throw err;
        sendJson(res, 400, {
          error: { code: 'invalid_application_server_key', message: err.message, field: 'applicationServerKey' },
        });
      }
    },
    'DELETE subscriptions': (req, res) => {
      const id = new URL(req.url ?? '/', 'http://emulator').searchParams.get('id') ?? '';
      if (!subscriptions.unsubscribe(id)) {
        sendJson(res, 404, { error: { code: 'not_found', message: `no subscription ${id}`, field: 'id' } });
        return;
      }
      send(res, 204);
    },
  };

  /** 404 for a subscription never issued (or expired), 410 for one that was unsubscribed (RFC 8030 §7.3). */
  function subscriptionFor(id: string): StoredSubscription {
    const subscription = subscriptions.get(id);
    if (!subscription) throw new WebPushRejection(404, 'unknown_subscription', 'no such subscription');
    if (subscription.gone) throw new WebPushRejection(410, 'unsubscribed', 'the subscription is gone');
    return subscription;
  }

  /** RFC 8292 §4: VAPID is optional unless the subscription was bound to an application server key. */
  async function authorize(req: AnyRequest, subscription: StoredSubscription): Promise<Buffer | undefined> {
    const credentials = parseVapidAuthorization(req.headers.authorization);
    const bound = subscription.applicationServerKey;
    if (!credentials) {
      if (!bound) return undefined;
      throw new WebPushRejection(401, 'vapid_required', 'this subscription requires VAPID', {
        'www-authenticate': 'vapid',
      });
    }
    await verifyVapid(credentials, origin, now());
    if (bound && !bound.equals(credentials.publicKey)) {
      throw new WebPushRejection(403, 'vapid_key_mismatch', 'k is not the applicationServerKey of this subscription');
    }
    return credentials.publicKey;
  }

  async function push(req: AnyRequest, res: AnyResponse, id: string): Promise<void> {
    const body = await readBody(req, MAX_BODY).catch((err: unknown) => {
      if (err instanceof BodyTooLargeError)
        throw new WebPushRejection(413, 'payload_too_large', `body exceeds ${MAX_BODY} bytes`);
      throw err;
    });
    const subscription = subscriptionFor(id);
    const vapidKey = await authorize(req, subscription);
    const { ttl, device } = validatePushHeaders(req.headers, body.length > 0);
    let payload: unknown = null;
    if (body.length > 0) {
      if (vapidKey?.equals(parseAes128gcmHeader(body).keyId)) {
        throw new WebPushRejection(400, 'vapid_key_reused', 'the VAPID key must differ from the ECDH key');
      }
      payload = decodePlaintext(decryptAes128gcm(body, subscription.keys));
    }

    const scripted = await playScripted(behaviours, id, req, res);
    if (scripted === 'dropped') return;
    const rejection = scripted && SCRIPTED[scripted.kind];
    if (rejection) throw rejection(scripted);

    const message = messages.record(id, plainHeaders(req), payload, { ...device, ...browserView(payload) });
    send(res, 201, '', { location: `${origin}/msg/${message.id}`, ttl: String(Math.min(ttl, maxTtl)) });
  }

  async function handle(req: AnyRequest, res: AnyResponse): Promise<void> {
    if (await handleInspection(req, res, messages, behaviours, extra)) return;
    try {
      const id = PUSH_PATH.exec(new URL(req.url ?? '/', 'http://emulator').pathname)?.[1];
      if (id === undefined) throw new WebPushRejection(404, 'not_found', 'push resources live under /push/{id}');
      if (req.method !== 'POST') {
        throw new WebPushRejection(405, 'method_not_allowed', 'push with POST', { allow: 'POST' });
      }
      await push(req, res, id);
    } catch (err) {
      const rejection = err instanceof EceError ? new WebPushRejection(400, 'decryption_failed', err.message) : err;
      if (!(rejection instanceof WebPushRejection)) throw err;
      const { status, reason, message, headers } = rejection;
      sendJson(res, status, { status, reason, message }, headers);
    }
  }

  const onRequest = (req: AnyRequest, res: AnyResponse): void => {
    handle(req, res).catch(() => {
      if (!res.headersSent) sendJson(res, 500, { status: 500, reason: 'internal', message: 'internal error' });
    });
  };
  const server: Server = tls
    ? createSecureServer({ key: tls.key, cert: tls.cert, allowHTTP1: true }, onRequest)
    : createServer(onRequest);
  const listening = await listen(server, secure ? 'https' : 'http', options);
  baseUrl = listening.baseUrl;
  origin = new URL(baseUrl).origin;

  return {
    baseUrl: listening.baseUrl,
    port: listening.port,
    host: options.host ?? '127.0.0.1',
    secure,
    tls,
    messages,
    behaviours,
    createSubscription: (subscribeOptions) => subscriptions.create(baseUrl, subscribeOptions),
    unsubscribe: (id) => subscriptions.unsubscribe(id),
    close: listening.close,
  };
}
