/** Why a ring stopped (wire format v1: docs/providers.md#wire-format-v1). */
export type CancelReason = 'answered_elsewhere' | 'declined' | 'caller_cancelled' | 'timeout' | 'ended';

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
  videoOffered: boolean;
  /** Custom headers of the call (empty when none). */
  headers: Record<string, string>;
  /** The ring deadline is past on this device's clock (allowing for clock skew): show a missed call instead. */
  timedOut: boolean;
  /** The push is a cancel: the call stopped ringing. */
  cancelled: boolean;
  /** Why it stopped, for a cancel. */
  reason?: CancelReason;
  /** Epoch ms of the ring deadline (callpush format only). */
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

/** Result of reading a push without connecting (Sinch's `NotificationResult`). */
export interface NotificationResult {
  /** The data is a well-formed call push of a known format. */
  isValid: boolean;
  /** It is a ring. */
  isCall: boolean;
  /** It is a cancel. */
  isCancel: boolean;
  /** Present when valid. */
  callResult?: CallResult;
}
