import type { WireMessage } from './wire.js';

/** One device to push to, as the registry holds it. */
export interface PushTarget {
  deviceId: string;
  token: string;
  /** `voip` (APNs PushKit token) or `alert`; other providers treat both the same. */
  kind: 'voip' | 'alert';
}

/** What to send, with the deadline every TTL is derived from (nothing may be sent at or past it). */
export interface PushRequest {
  message: WireMessage;
  /** Epoch ms: the ring deadline (the call's `expiresAt`); TTLs are the whole seconds left to it. */
  deadline: number;
  /** Collapse key / topic shared by a call's ring and its cancel: the call id. */
  collapseId: string;
  /**
   * A data map sent instead of the wrapped v1 message on the data-message transports (FCM, HMS), for apps
   * whose client SDK expects its own payload (a Kaleyra app: design §3.3). APNs and Web Push keep `message`.
   */
  data?: Record<string, string>;
}

/**
 * The outcome vocabulary of providers.md, per target:
 * - `sent`: the provider accepted it;
 * - `retry`: transient (429, 5xx, network); `retryAfterMs` when the provider said (Retry-After);
 * - `token_gone`: the token is permanently dead: delete the device;
 * - `config_error`: credentials, project/app/topic or payload builder wrong: keep the device, alert the operator;
 * - `skipped`: deliberately not sent (e.g. a cancel to an APNs VoIP-only device, which must never get one).
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
  /** Closes connections (HTTP/2 sessions, keep-alive pools). */
  close(): Promise<void>;
}

export interface ProviderClientOptions {
  /** Extra CA certificates (PEM) to trust, e.g. the emulators' CA in the sandbox and tests. */
  ca?: string;
  /** Clock, epoch ms (tests). */
  now?: () => number;
  /** Called after every provider HTTP response with its latency, for metrics. */
  onResponse?: (seconds: number, status: number | 'error') => void;
  /** The callpush app the credential belongs to: HMS flow B signs its client assertion with the app secret. */
  app?: { key: string; secret: string; namespace: string };
}

/** Whole seconds left until `deadline` (never negative): the TTL every provider gets. */
export function secondsLeft(deadline: number, now: number): number {
  return Math.max(0, Math.floor((deadline - now) / 1000));
}
