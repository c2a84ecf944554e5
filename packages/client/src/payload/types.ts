/** Why a ring stopped (wire format v1: docs/providers.md#wire-format-v1). */
export type CancelReason = 'answered_elsewhere' | 'declined' | 'busy' | 'caller_cancelled' | 'timeout' | 'ended';

/** Why a call was missed: nobody answered before the ring deadline, or the caller hung up first. */
export type MissedReason = 'timeout' | 'caller_cancelled';

/** Visible text the gateway rendered in the device's language, for code that shows the notification itself. */
export interface PushText {
  title: string;
  body: string;
}

/** What a missed-call notice adds: why the call was missed and when it was placed. */
export interface MissedDetails {
  reason: MissedReason;
  /** Epoch ms when the caller placed the call. */
  callStartedAt: number;
}

/** Which payload format a push was in: callpush's own v1 message, or a Kaleyra webhook body forwarded as is. */
export type PayloadFormat = 'callpush' | 'kaleyra';

/** What a call push says about its call (Sinch's `CallNotificationResult`, plus the cancel and deadline). */
export interface CallResult {
  /** The callpush call id; for the `kaleyra` format, the Kaleyra room id. */
  callId: string;
  /** The caller. */
  remoteUserId: string;
  /** Shown instead of the caller id when the caller set one. */
  displayName?: string;
  /** The caller offered video (a ring, or the call a missed notice is about). */
  videoOffered: boolean;
  /** Custom headers of the call (empty when none). */
  headers: Record<string, string>;
  /** A ring: its deadline is past on this device's clock (allowing for clock skew); else its reason is `timeout`. */
  timedOut: boolean;
  /** The push is a cancel: the call stopped ringing. */
  cancelled: boolean;
  /** Why it stopped, for a cancel. */
  reason?: CancelReason;
  /** Present for a missed-call notice (and only then). */
  missed?: MissedDetails;
  /** The notification text of a cancel or missed notice, when the gateway rendered one. */
  text?: PushText;
  /** Epoch ms of the ring deadline; for a missed notice, when it stops being worth showing (callpush format only). */
  expiresAt?: number;
  /** Epoch ms when the gateway sent it (callpush format only). */
  sentAt?: number;
  /** The callpush app key (callpush format only). */
  app?: string;
  /** The callee this push was for. */
  to?: string;
  /** The Kaleyra room (kaleyra format, or a callpush call placed from a Kaleyra webhook). */
  roomId?: string;
  format: PayloadFormat;
}

/** Result of reading a push without connecting (Sinch's `NotificationResult`). At most one of the `is…` is true. */
export interface NotificationResult {
  /** The data is a well-formed call push of a known format. */
  isValid: boolean;
  /** It is a ring. */
  isCall: boolean;
  /** It is a cancel. */
  isCancel: boolean;
  /** It is a missed-call notice. */
  isMissed: boolean;
  /** Present when valid. */
  callResult?: CallResult;
}
