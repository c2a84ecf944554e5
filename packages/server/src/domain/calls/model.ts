import type { CancelReason } from '#kernel';
import type { ApnsEnvironment, WebPushFormat } from '#providers';

export type CallState = 'ringing' | 'answered' | 'declined' | 'busy' | 'cancelled' | 'timed_out' | 'ended';
/** `busy`: the callee declined because it is in another call (or was, with rejectWhenBusy, when it came). */
export type CalleeState = 'ringing' | 'answered' | 'declined' | 'busy';
export type DeliveryState = 'pending' | 'sent' | 'received' | 'failed' | 'expired' | 'skipped';
/** What a provider's delivery receipt says of an accepted push (docs/providers.md#hms-receipts). */
export type ProviderReceiptKind = 'delivered' | 'held' | 'undelivered' | 'unknown';

export interface Call {
  id: string;
  appKey: string;
  from: string;
  displayName?: string;
  video: boolean;
  headers: Record<string, string>;
  callees: Record<string, CalleeState>;
  state: CallState;
  endReason?: string;
  answeredBy?: { userId: string; deviceId: string };
  /** A test ring: rings like any call, leaves no missed-call notice. */
  test?: boolean;
  createdAt: number;
  expiresAt: number;
  updatedAt: number;
}

export interface Delivery {
  id: string;
  callId: string;
  appKey: string;
  userId: string;
  deviceId: string;
  provider: string;
  providerType: string;
  token: string;
  kind: 'voip' | 'alert';
  /** Its registration's APNs environment, copied so every attempt goes to the gateway the token is for. */
  environment?: ApnsEnvironment;
  /** Its registration's Web Push format, copied so every attempt sends the body that browser was registered for. */
  format?: WebPushFormat;
  /**
   * `connection` while it went over the device's active connection, `push` once it went (or fell back) to the
   * push token. A device known only by its socket has an empty `provider` and `token`.
   */
  transport: 'push' | 'connection';
  /** `missed`: a missed-call notice to a callee who neither answered nor declined. */
  type: 'ring' | 'cancel' | 'missed';
  /** Why a cancel stops the ring; for a missed notice, why it was missed (`timeout` or `caller_cancelled`). */
  cancelReason?: CancelReason;
  /** The language of a cancel's or missed notice's text: its device's locale when it registered one. */
  locale?: string;
  /** The provider's message id of the accepted push (the funnel's "provider accepted"). */
  providerId?: string;
  /**
   * What the provider's delivery receipt (HMS) reported about the push, after accepting it: `delivered` to the
   * device, `held` on the way (the app was not running, ...), `undelivered`, or a status callpush does not know.
   * A separate fact from `receivedAt`, which only the device's own receipt sets.
   */
  providerReceipt?: { kind: ProviderReceiptKind; reason: string; at: number };
  /** What the device did with this ring, and when: answered or declined on it. */
  acted?: 'answered' | 'declined';
  actedAt?: number;
  state: DeliveryState;
  outcome?: string;
  detail?: string;
  attempts: number;
  deadline: number;
  createdAt: number;
  firstAttemptAt?: number;
  sentAt?: number;
  receivedAt?: number;
  /** Set while the delivery is owed: the node working on it and until when (see leases.ts). */
  leaseOwner?: string;
  leaseUntil?: number;
  /** A pending delivery refused for now: when it may go again (stored, so a node taking it over waits too). */
  nextAttemptAt?: number;
}

/**
 * A change to a stored delivery. `lease: 'release'`: the delivery is done, nobody owes it anything more, and
 * it has no next attempt.
 */
export type DeliveryPatch = Partial<
  Pick<
    Delivery,
    | 'state'
    | 'transport'
    | 'outcome'
    | 'detail'
    | 'attempts'
    | 'firstAttemptAt'
    | 'sentAt'
    | 'receivedAt'
    | 'nextAttemptAt'
    | 'providerId'
  >
> & { lease?: 'release' };

/** The delivery as it is after `patch`: dispatch works on copies, never on the objects it was handed. */
export function patched(d: Delivery, patch: DeliveryPatch): Delivery {
  const { lease, ...fields } = patch;
  const released = { leaseOwner: undefined, leaseUntil: undefined, nextAttemptAt: undefined };
  return { ...d, ...fields, ...(lease === 'release' ? released : {}) };
}
