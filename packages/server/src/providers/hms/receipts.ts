import { createHmac, timingSafeEqual } from 'node:crypto';
import { Unauthenticated } from '#kernel';

/**
 * Push Kit's message receipts (docs/providers.md#hms-receipts): what each status means, and how a receipt's
 * `X-HUAWEI-CALLBACK-ID` header is checked.
 */

export type HmsReceiptKind = 'delivered' | 'held' | 'undelivered' | 'unknown';

/**
 * Huawei's receipt statuses in callpush's words. `held`: the message reached the phone (or waits at Push Kit)
 * but not the app, and may still get there while its TTL lasts; `undelivered`: it will not get there.
 */
const STATUSES: Record<number, { kind: Exclude<HmsReceiptKind, 'unknown'>; words: string }> = {
  0: { kind: 'delivered', words: 'delivered to the device' },
  2: { kind: 'undelivered', words: 'the app is not installed on the device' },
  5: {
    kind: 'undelivered',
    words: "the token is not the app's on the device (its data was cleared, it was reinstalled, or another user)",
  },
  6: { kind: 'undelivered', words: 'notifications are turned off for the app, so it was not shown' },
  10: { kind: 'undelivered', words: 'the device has not connected to Push Kit for 30 days: not sent' },
  14: { kind: 'undelivered', words: "a network error inside Huawei's service" },
  15: { kind: 'undelivered', words: 'replaced by a newer message while the device was offline' },
  22: { kind: 'undelivered', words: 'meant for another user of the device' },
  27: { kind: 'held', words: 'the app was not running and may not start by itself: the phone holds it' },
  31: { kind: 'undelivered', words: 'the device or the app does not support the message' },
  51: { kind: 'held', words: 'the phone restarted and has not been unlocked yet' },
  102: { kind: 'undelivered', words: "dropped by Push Kit's limit of messages per device and day" },
  144: { kind: 'undelivered', words: 'the message names a profile the device does not have' },
  201: { kind: 'held', words: 'held by Push Kit: the token, the signed-in user or the app does not match' },
};

/** What a receipt status means: its kind and the reason stored on the delivery, with Huawei's code. */
export function hmsReceiptStatus(status: number): { kind: HmsReceiptKind; reason: string } {
  const known = Object.hasOwn(STATUSES, status) ? STATUSES[status] : undefined;
  if (!known) return { kind: 'unknown', reason: `HMS receipt ${status}: a status callpush does not know` };
  return { kind: known.kind, reason: `HMS receipt ${status}: ${known.words}` };
}

/** How far a callback id's timestamp may be from now, either way: a captured header is not valid for long. */
export const CALLBACK_TOLERANCE_MS = 5 * 60_000;

/** A receipt configuration's callback user name and key, as the credential holds them. */
export interface CallbackSecret {
  username: string;
  key: string;
}

export interface CallbackId {
  /** Epoch ms. */
  timestamp: number;
  nonce: string;
}

const refused = (message: string) => new Unauthenticated('invalid_webhook_signature', message);

/** The header's `value`: base64 HMAC-SHA256 keyed with the callback key over timestamp, nonce and user name. */
export function hmsCallbackValue(secret: CallbackSecret, timestamp: string, nonce: string): string {
  return createHmac('sha256', secret.key).update(`${timestamp}${nonce}${secret.username}`).digest('base64');
}

/** `timestamp=…;nonce=…;value=…`, spaces after the separators allowed; undefined when any part is missing. */
function parseCallbackId(header: string): { timestamp: string; nonce: string; value: string } | undefined {
  const parts = new Map<string, string>();
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) parts.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const timestamp = parts.get('timestamp');
  const nonce = parts.get('nonce');
  const value = parts.get('value');
  return timestamp && nonce && value ? { timestamp, nonce, value } : undefined;
}

/**
 * Checks `X-HUAWEI-CALLBACK-ID` against each secret and returns the header's time and nonce with the indexes of
 * the secrets it matches. What it proves: the sender knew a callback key, within the tolerance of the
 * timestamp. It covers no body: the caller must refuse a nonce seen before, or a captured header could carry
 * other statuses. Every refusal is the same 401 code, with a message that names no secret.
 */
export function verifyHmsCallbackId(
  header: string | undefined,
  secrets: CallbackSecret[],
  now: number,
): CallbackId & { matches: number[] } {
  if (!header) throw refused('missing X-HUAWEI-CALLBACK-ID header');
  if (header.length > 1024) throw refused('X-HUAWEI-CALLBACK-ID is too long');
  const parsed = parseCallbackId(header);
  if (!parsed) throw refused('X-HUAWEI-CALLBACK-ID must be timestamp=<ms>;nonce=<uuid>;value=<base64>');
  const { timestamp, nonce, value } = parsed;
  if (!/^\d{1,16}$/.test(timestamp)) throw refused('X-HUAWEI-CALLBACK-ID timestamp must be epoch milliseconds');
  // Huawei's older pages call it a Unix timestamp: seconds are read as such.
  const ms = timestamp.length <= 11 ? Number(timestamp) * 1000 : Number(timestamp);
  if (Math.abs(now - ms) > CALLBACK_TOLERANCE_MS) throw refused('X-HUAWEI-CALLBACK-ID timestamp is too old or new');
  if (nonce.length > 128) throw refused('X-HUAWEI-CALLBACK-ID nonce is too long');
  const given = Buffer.from(value, 'base64');
  const matches = secrets.flatMap((secret, i) => {
    const expected = Buffer.from(hmsCallbackValue(secret, timestamp, nonce), 'base64');
    // Buffer.from drops bad base64, so a wrong length here also refuses a malformed value.
    return given.length === expected.length && timingSafeEqual(given, expected) ? [i] : [];
  });
  if (matches.length === 0) throw refused('X-HUAWEI-CALLBACK-ID does not match the callback key');
  return { timestamp: ms, nonce, matches };
}
