import { isRecord, isText, type JsonRecord } from './read.js';
import type { CallResult, CancelReason } from './types.js';

/** The gateway refuses more (docs/providers.md#wire-format-v1): UTF-8 bytes of header keys plus values. */
export const MAX_HEADERS_BYTES = 1024;

const CANCEL_REASONS: ReadonlySet<unknown> = new Set<CancelReason>([
  'answered_elsewhere',
  'declined',
  'caller_cancelled',
  'timeout',
  'ended',
]);

const isCancelReason = (value: unknown): value is CancelReason => CANCEL_REASONS.has(value);

/** The header a call placed from a Kaleyra webhook carries its room in. */
const KALEYRA_ROOM_HEADER = 'kaleyra.roomId';

/**
 * Whether an unwrapped object declares itself a callpush message (any version, so a newer gateway's message
 * is recognised as callpush's and reported invalid rather than taken for the app's own push).
 */
export function isCallPushEnvelope(message: JsonRecord): boolean {
  return message.v !== undefined && typeof message.type === 'string' && message.type.startsWith('call.');
}

/** Epoch milliseconds: a whole, non-negative number. */
const isTime = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

/** UTF-8 length without encoding (no TextEncoder on older React Native); a lone surrogate counts as U+FFFD. */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit < 0xdc00 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * String-to-string headers within the byte limit, copied into a new plain object: `Object.fromEntries`
 * defines `__proto__` or `constructor` as ordinary own keys, never touching a prototype.
 */
function readHeaders(value: unknown): Record<string, string> | undefined {
  if (!isRecord(value)) return undefined;
  const entries: Array<[string, string]> = [];
  let bytes = 0;
  for (const key of Object.keys(value)) {
    const text = value[key];
    if (typeof text !== 'string') return undefined;
    bytes += utf8Length(key) + utf8Length(text);
    if (bytes > MAX_HEADERS_BYTES) return undefined;
    entries.push([key, text]);
  }
  return Object.fromEntries(entries);
}

/**
 * A v1 message (docs/providers.md#wire-format-v1) as a call result, or undefined when any field is off.
 * `sureNow` is the latest time the device can be sure has passed (its clock less the skew allowance): a ring is
 * timed out only past its deadline by that time. A cancel is timed out when the gateway says so, whatever the
 * device's clock.
 */
export function readCallPush(message: JsonRecord, sureNow: number): CallResult | undefined {
  const { callId, app, from, to, sentAt, expiresAt } = message;
  if (message.v !== 1 || !isText(callId) || !isText(app) || !isText(from) || !isText(to)) return undefined;
  if (!isTime(sentAt) || !isTime(expiresAt)) return undefined;
  const common = { callId, remoteUserId: from, app, to, sentAt, expiresAt, format: 'callpush' as const };
  if (message.type === 'call.cancel') {
    const { reason } = message;
    if (!isCancelReason(reason)) return undefined;
    return { ...common, videoOffered: false, headers: {}, timedOut: reason === 'timeout', cancelled: true, reason };
  }
  const { video, displayName } = message;
  if (message.type !== 'call.ring' || typeof video !== 'boolean') return undefined;
  const headers = readHeaders(message.headers);
  if (!headers) return undefined;
  const named = isText(displayName);
  // An empty display name is valid on the wire but names nobody: the caller id is shown instead.
  if (!named && displayName !== undefined && displayName !== '') return undefined;
  const roomId = headers[KALEYRA_ROOM_HEADER];
  return {
    ...common,
    ...(named ? { displayName } : {}),
    videoOffered: video,
    headers,
    timedOut: sureNow > expiresAt,
    cancelled: false,
    ...(isText(roomId) ? { roomId } : {}),
  };
}
