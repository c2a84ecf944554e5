import { createHash } from 'node:crypto';
import type { CancelMessage, CancelReason, RingMessage, WireMessage } from '#kernel';
import type { PushRequest, PushTarget } from '../contract.js';

/** The headers (without `authorization`, added per attempt) and JSON body of one APNs push. */
export interface ApnsPush {
  headers: Record<string, string>;
  payload: string;
}

/** Apple's limit for `apns-collapse-id` (docs/providers.md#apns-headers). */
const MAX_COLLAPSE_ID_BYTES = 64;

/** Apple's limit on the JSON body, by push type (docs/providers.md#apns-headers). */
export const MAX_PAYLOAD_BYTES = { voip: 5120, alert: 4096 } as const;

/** What an `alert` device shows when a call stops ringing, replacing its incoming-call notification. */
const CANCEL_TEXT: Record<CancelReason, string> = {
  answered_elsewhere: 'Answered on another device',
  declined: 'Call declined',
  caller_cancelled: 'Missed call',
  timeout: 'Missed call',
  ended: 'Call ended',
};

/**
 * Builds the push for one target, or says why none may go: a cancel is never a VoIP push, because iOS
 * requires every VoIP push to report a new incoming call to CallKit and stops delivering to apps that do
 * not (docs/providers.md#apns-voip-cancel); a VoIP device learns of the cancel from the app's own channel instead.
 *
 * An `alert` device gets the ring as a visible alert, and the cancel as another alert with the same
 * `apns-collapse-id`: iOS replaces the incoming-call notification in place, even when the app is not
 * running. A background push could not do that: it is not delivered to a force-quit app, and priority 5
 * may be batched or throttled.
 */
export function buildApnsPush(
  target: PushTarget,
  request: PushRequest,
  bundleId: string,
  now: number,
): ApnsPush | { skip: string } {
  const { message } = request;
  if (message.type === 'call.cancel' && target.kind === 'voip') return { skip: 'cancel_not_sent_as_voip' };
  const voip = target.kind === 'voip';
  const headers = {
    ':method': 'POST',
    ':path': `/3/device/${target.token}`,
    'content-type': 'application/json',
    'apns-push-type': voip ? 'voip' : 'alert',
    'apns-topic': voip ? `${bundleId}.voip` : bundleId,
    'apns-priority': '10',
    'apns-expiration': expiration(request.deadline, now),
    'apns-collapse-id': collapseId(request.collapseId),
  };
  return { headers, payload: apnsPayload(message, target.kind) };
}

/** The JSON body for a device of `kind`: the v1 message under `callpush`, next to the alert an `alert` device shows. */
export function apnsPayload(message: WireMessage, kind: PushTarget['kind']): string {
  const aps = kind === 'voip' ? {} : message.type === 'call.ring' ? ringAlert(message) : cancelAlert(message);
  return JSON.stringify({ aps, callpush: message });
}

/**
 * The deadline in whole epoch seconds, rounded down so APNs never holds the push past it. When that second is
 * not after the current one it would already be in the past, so `0` is sent: deliver now if the device is
 * reachable, never store (the TTL-zero of the other providers).
 */
function expiration(deadline: number, now: number): string {
  const seconds = Math.floor(deadline / 1000);
  return seconds > Math.floor(now / 1000) ? String(seconds) : '0';
}

/** The call id as is when it fits Apple's limit, else a hash of it (still shared by the ring and its cancel). */
function collapseId(id: string): string {
  if (Buffer.byteLength(id) <= MAX_COLLAPSE_ID_BYTES) return id;
  return createHash('sha256').update(id).digest('base64url');
}

function ringAlert(message: RingMessage): Record<string, unknown> {
  return {
    alert: {
      title: message.displayName ?? message.from,
      body: message.video ? 'Incoming video call' : 'Incoming call',
    },
    sound: 'default',
  };
}

/** Silent: it only replaces the ringing notification. */
function cancelAlert(message: CancelMessage): Record<string, unknown> {
  return { alert: { title: message.from, body: CANCEL_TEXT[message.reason] } };
}
