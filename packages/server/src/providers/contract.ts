import type { EmulatorCredentials, Emulators } from '@callpush/emulators';
import type { TSchema } from 'typebox';
import type { Clock, WireMessage } from '#kernel';

/** One device to push to, as the registry holds it. */
export interface PushTarget {
  deviceId: string;
  token: string;
  /** `voip` (APNs PushKit token) or `alert`; other providers treat both the same. */
  kind: 'voip' | 'alert';
  /**
   * APNs only: the environment that issued the token (a development build's token works only against the
   * sandbox gateway). Absent: the credential's environment.
   */
  environment?: ApnsEnvironment;
  /**
   * Web Push only: the body the registration asked for (a declarative push message, or the v1 message for its
   * service worker). Absent: the credential's format.
   */
  format?: WebPushFormat;
}

export type ApnsEnvironment = 'sandbox' | 'production';
/** The names a Web Push credential's `format` uses (docs/providers.md#webpush-declarative). */
export type WebPushFormat = 'service-worker' | 'declarative';

/** What a registration chose besides its token: each field for one provider only. */
export type RegistrationChoices = Pick<PushTarget, 'environment' | 'format'>;

/** What to send, with the deadline every TTL is derived from (nothing may be sent at or past it). */
export interface PushRequest {
  message: WireMessage;
  /**
   * Epoch ms after which the message is worth nothing: the ring deadline (the call's `expiresAt`) for a ring or a
   * cancel, the notice's own `expiresAt` (hours later) for a missed call. TTLs are the whole seconds left to it.
   */
  deadline: number;
  /** Collapse key / topic shared by everything sent for one call (ring, cancel, missed notice): the call id. */
  collapseId: string;
  /**
   * A data map sent instead of the wrapped v1 message on the data-message transports (FCM, HMS), for apps
   * whose client SDK expects its own payload (a Kaleyra app: docs/kaleyra.md). APNs and Web Push keep `message`.
   */
  data?: Record<string, string>;
  /**
   * `normal` for what may wait a little (a missed-call notice): APNs priority 5, FCM/HMS NORMAL without the
   * VoIP category, Web Push `Urgency: normal`. Absent: high, as a ring and a cancel need.
   */
  priority?: 'normal';
  /**
   * The visible notification of this message in the recipient's language (rendered by the gateway from the
   * app's templates). APNs `alert` devices show it (with the localization keys when the app set them, so iOS
   * can use the app's own strings); Web Push and the data transports carry it in the message's `text`; FCM and
   * HMS add a visible notification block only when `visibleOnData` is set. Absent: nothing visible (a VoIP or
   * data-only message).
   */
  notification?: PushNotification;
}

export interface PushNotification {
  title: string;
  body: string;
  /** APNs `title-loc-key` / `loc-key`: keys of the app's own Localizable.strings, with `locArgs` to fill them. */
  titleLocKey?: string;
  locKey?: string;
  locArgs?: string[];
  /** FCM/HMS add a visible notification block (the app's code still gets the data). */
  visibleOnData: boolean;
}

/**
 * The outcome vocabulary shared by every provider (docs/providers.md#outcomes), per target:
 * - `sent`: the provider accepted it;
 * - `retry`: transient (429, 5xx, network); `retryAfterMs` when the provider said (Retry-After);
 * - `token_gone`: the token is permanently dead: delete the device;
 * - `config_error`: credentials, project/app/topic or payload builder wrong: keep the device, alert the operator;
 * - `skipped`: deliberately not sent (e.g. a cancel or a missed notice to an APNs VoIP token, which must only
 *   ever get rings).
 * Re-auth is handled inside the client: an auth failure refreshes the provider token once and resends; if it
 * fails again the outcome is `config_error`.
 */
export type PushOutcome =
  | { kind: 'sent'; status?: number; providerId?: string }
  | { kind: 'retry'; status?: number; reason: string; retryAfterMs?: number }
  | { kind: 'token_gone'; status?: number; reason: string }
  | { kind: 'config_error'; status?: number; reason: string }
  | { kind: 'skipped'; reason: string };

/** One provider credential's client: owns its connections and its auth token. */
export interface ProviderClient {
  /**
   * Sends `request` to every target and resolves with one outcome per target, in order. Never rejects:
   * network failures are `retry` outcomes. Clients that can batch (HMS) do so.
   */
  send(targets: PushTarget[], request: PushRequest): Promise<PushOutcome[]>;
  /**
   * Makes the first ring as fast as a warm one: fetches the access token and opens the connection now, and
   * keeps both so (the token renewed ahead of expiry, idle connections pinged, a lost one reopened). Rejects
   * when the first attempt failed; sends then set things up themselves, as without it. Absent on clients with
   * nothing to warm (Web Push: every subscription names its own push service).
   */
  keepWarm?(): Promise<void>;
  /** What is warm now, for metrics. */
  warmth?(): Warmth;
  /** Closes connections (HTTP/2 sessions, keep-alive pools). */
  close(): Promise<void>;
}

/** A provider client's warm state (epoch ms). */
export interface Warmth {
  /** When the cached access token was fetched; undefined without one. */
  tokenFetchedAt: number | undefined;
  /** Open connections to the provider. */
  connections: number;
  /** When the oldest open connection was opened. */
  connectedSince: number | undefined;
}

/**
 * The operator's part of the endpoint policy (docs/security.md, "Outbound requests: the endpoint policy"), as
 * credential checks, token checks and clients apply it. Absent fields mean the production rule.
 */
export interface EndpointSettings {
  /**
   * CALLPUSH_ALLOW_PRIVATE_ENDPOINTS: a credential's own URLs (endpoint and token URL overrides, the origins a
   * Web Push credential lists) may be plain http and private addresses. Never a subscription's own endpoint.
   */
  allowPrivateEndpoints?: boolean | undefined;
  /** CALLPUSH_WEBPUSH_HOSTS: when not empty, the only hosts a Web Push subscription may point at. */
  webPushHosts?: readonly string[] | undefined;
}

export interface ProviderClientOptions extends EndpointSettings {
  /** Extra CA certificates (PEM) to trust, e.g. the emulators' CA in the sandbox and tests. */
  ca?: string;
  /** Clock, epoch ms (tests). */
  now?: Clock;
  /** Called after every provider HTTP response with its latency, for metrics. */
  onResponse?: (seconds: number, status: number | 'error') => void;
  /** The callpush app the credential belongs to: HMS flow B signs its client assertion with the app secret. */
  app?: AppIdentity;
}

/** A callpush app as a provider client signing on its behalf sees it. */
export interface AppIdentity {
  key: string;
  secret: string;
  namespace: string;
}

/** How the sandbox points one provider at its emulator and gives the sandbox user a device on it. */
export interface SandboxWiring<C> {
  /** The device id of the sandbox user's device on this provider (`pixel`, `iphone`, ...). */
  deviceId: string;
  credential(emulators: EmulatorCredentials): C;
  /** The device's token and kind; `inspectAs` is what the emulator's inspection API filters it by, if not the token. */
  device(emulators: Emulators): { token: string; kind: 'voip' | 'alert'; inspectAs?: string };
  /** What sandbox.json shows of the emulator: where it is and what a client authenticates with. */
  describe(emulators: EmulatorCredentials): Record<string, unknown>;
}

/**
 * Everything the gateway knows of one provider, in its own folder: the registry is the list of these, so
 * adding a provider is one folder and one line there. `C` is its credential, told apart by `type`.
 */
export interface ProviderModule<C extends { type: string } = { type: string }> {
  readonly type: C['type'];
  /** JSON schema of the credential: validates `PUT /v1/apps/{appKey}/providers/{name}` and documents it. */
  readonly credentialSchema: TSchema;
  /**
   * Checks what the schema cannot (keys parse, key pairs match, URLs under the endpoint policy) and returns
   * the public view: the non-secret fields and fingerprints of the secret ones. Rejects with InvalidInput
   * naming the field.
   */
  checkCredential(credential: C, settings: EndpointSettings): Promise<Record<string, unknown>>;
  /**
   * Refuses a push token that cannot be right for this provider and the credential it is registered on
   * (InvalidInput `invalid_token`, or `endpoint_not_allowed` for a Web Push endpoint, naming the field), or a
   * choice of the registration the credential cannot serve (`validation_failed`, naming it).
   */
  checkPushToken(
    token: string,
    credential: C,
    settings: EndpointSettings,
    choices: RegistrationChoices,
  ): void | Promise<void>;
  createClient(credential: C, options: ProviderClientOptions): ProviderClient;
  /** The largest message the provider carries to a device of `kind`, in the bytes its limit counts. */
  maxPayloadBytes(kind: PushTarget['kind']): number;
  /**
   * The size of `request` wrapped as the client of `credential` wraps it for a device of `kind` that made
   * `choices`, sent at `now` or later, in the bytes the provider's limit counts: placing a call refuses one
   * that some callee's provider cannot carry.
   */
  payloadBytes(
    request: PushRequest,
    kind: PushTarget['kind'],
    now: number,
    credential: C,
    choices: RegistrationChoices,
  ): number;
  readonly sandbox: SandboxWiring<C>;
}

/** Whole seconds left until `deadline` (never negative): the TTL every provider gets. */
export function secondsLeft(deadline: number, now: number): number {
  return Math.max(0, Math.floor((deadline - now) / 1000));
}
