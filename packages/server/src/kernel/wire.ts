/**
 * The push message, wire format v1 (docs/providers.md#wire-format-v1): one JSON object,
 * the same on every transport. Wrapping it per transport is each provider client's job.
 */
export type CancelReason = 'answered_elsewhere' | 'declined' | 'caller_cancelled' | 'timeout' | 'ended';

export interface RingMessage {
  v: 1;
  type: 'call.ring';
  callId: string;
  app: string;
  from: string;
  to: string;
  displayName?: string;
  video: boolean;
  headers: Record<string, string>;
  sentAt: number;
  expiresAt: number;
}

export interface CancelMessage {
  v: 1;
  type: 'call.cancel';
  callId: string;
  app: string;
  from: string;
  to: string;
  reason: CancelReason;
  sentAt: number;
  expiresAt: number;
}

export type WireMessage = RingMessage | CancelMessage;
