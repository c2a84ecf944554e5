import { createHash } from 'node:crypto';
import type { WireMessage } from '#kernel';
import type { PushRequest, PushTarget } from '../contract.js';
import { alertAps } from './aps.js';

/** The headers (without `authorization`, added per attempt) and JSON body of one APNs push. */
export interface ApnsPush {
  headers: Record<string, string>;
  payload: string;
}

/** Apple's limit for `apns-collapse-id` (docs/providers.md#apns-headers). */
const MAX_COLLAPSE_ID_BYTES = 64;

/** Apple's limit on the JSON body, by push type (docs/providers.md#apns-headers). */
export const MAX_PAYLOAD_BYTES = { voip: 5120, alert: 4096 } as const;

/** What never goes to a VoIP token, and the skip reason saying so: everything but a ring. */
const NOT_VOIP: Partial<Record<WireMessage['type'], string>> = {
  'call.cancel': 'cancel_not_sent_as_voip',
  'call.missed': 'missed_not_sent_as_voip',
};

/**
 * Builds the push for one target, or says why none may go: only a ring is ever a VoIP push, because iOS
 * requires every VoIP push to report a new incoming call to CallKit and stops delivering to apps that do
 * not (docs/providers.md#apns-voip-cancel); a VoIP device learns of a cancel or a missed call from the app's
 * own channel instead.
 *
 * An `alert` device gets the ring as a visible alert, and the cancel and the missed notice as alerts with the
 * same `apns-collapse-id`: iOS replaces the incoming-call notification in place, even when the app is not
 * running. A background push could not do that: it is not delivered to a force-quit app.
 *
 * `priority: 'normal'` (a missed notice) is priority 5, which iOS may hold for a power-friendly moment; a
 * cancel is always 10, since it must replace the ringing alert at once.
 */
export function buildApnsPush(
  target: PushTarget,
  request: PushRequest,
  bundleId: string,
  now: number,
): ApnsPush | { skip: string } {
  const { message } = request;
  const skip = target.kind === 'voip' ? NOT_VOIP[message.type] : undefined;
  if (skip) return { skip };
  const voip = target.kind === 'voip';
  const normal = request.priority === 'normal' && message.type !== 'call.cancel';
  const headers = {
    ':method': 'POST',
    ':path': `/3/device/${target.token}`,
    'content-type': 'application/json',
    'apns-push-type': voip ? 'voip' : 'alert',
    'apns-topic': voip ? `${bundleId}.voip` : bundleId,
    'apns-priority': normal ? '5' : '10',
    'apns-expiration': expiration(request.deadline, now),
    'apns-collapse-id': collapseId(request.collapseId),
  };
  return { headers, payload: apnsPayload(request, target.kind) };
}

/**
 * The JSON body for a device of `kind`: the v1 message under `callpush`, next to the alert an `alert` device
 * shows. A VoIP push's `aps` is empty: the app reports the call to CallKit itself.
 */
export function apnsPayload(request: PushRequest, kind: PushTarget['kind']): string {
  const aps = kind === 'voip' ? {} : alertAps(request);
  return JSON.stringify({ aps, callpush: request.message });
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

/** The call id as is when it fits Apple's limit, else a hash of it (still shared by the ring and what follows it). */
function collapseId(id: string): string {
  if (Buffer.byteLength(id) <= MAX_COLLAPSE_ID_BYTES) return id;
  return createHash('sha256').update(id).digest('base64url');
}
