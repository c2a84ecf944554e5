/**
 * The push message, wire format v1 (docs/providers.md#wire-format-v1): one JSON object,
 * the same on every transport. Wrapping it per transport is each provider client's job.
 */
export type CancelReason = 'answered_elsewhere' | 'declined' | 'busy' | 'caller_cancelled' | 'timeout' | 'ended';

/** Why a call was missed: nobody answered in time, or the caller gave up first. */
export type MissedReason = 'timeout' | 'caller_cancelled';

/** Visible text, already rendered in the recipient's language, for code that shows a notification itself. */
export interface WireText {
  title: string;
  body: string;
}

interface Common {
  v: 1;
  callId: string;
  app: string;
  from: string;
  to: string;
  sentAt: number;
  expiresAt: number;
}

export interface RingMessage extends Common {
  type: 'call.ring';
  displayName?: string;
  video: boolean;
  headers: Record<string, string>;
}

export interface CancelMessage extends Common {
  type: 'call.cancel';
  reason: CancelReason;
  text?: WireText;
}

/**
 * A call the recipient neither answered nor declined: shown as a missed call. It also ends any ring still
 * showing. `expiresAt` is when the notice stops being worth delivering (hours after the call), not the ring
 * deadline; `callStartedAt` is when the call was placed.
 */
export interface MissedMessage extends Common {
  type: 'call.missed';
  displayName?: string;
  video: boolean;
  reason: MissedReason;
  callStartedAt: number;
  text?: WireText;
}

/**
 * A push that is not about a call (a Kaleyra chat message). It goes only to the data transports (FCM, HMS),
 * which send the notice's own data map in its place.
 */
export interface NoticeMessage {
  v: 1;
  type: 'notice';
  /** The notice's own id (its collapse id) and what it is (`chat`). */
  id: string;
  notice: string;
  app: string;
  to: string;
  sentAt: number;
  expiresAt: number;
}

export type WireMessage = RingMessage | CancelMessage | MissedMessage | NoticeMessage;
