import { isRecord, isText, type JsonRecord } from './read.js';
import type { CallResult, CancelReason, MissedReason, PushText } from './types.js';

/** The gateway refuses more (docs/providers.md#wire-format-v1): UTF-8 bytes of header keys plus values. */
export const MAX_HEADERS_BYTES = 1024;

const CANCEL_REASONS: ReadonlySet<unknown> = new Set<CancelReason>([
  'answered_elsewhere',
  'declined',
  'busy',
  'caller_cancelled',
  'timeout',
  'ended',
]);

const isCancelReason = (value: unknown): value is CancelReason => CANCEL_REASONS.has(value);

const MISSED_REASONS: ReadonlySet<unknown> = new Set<MissedReason>(['timeout', 'caller_cancelled']);

const isMissedReason = (value: unknown): value is MissedReason => MISSED_REASONS.has(value);

/** A notification title or body: rendered from the app's templates, so longer than an id but still bounded. */
const MAX_PUSH_TEXT_CHARS = 1024;

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
 * An optional `text: {title, body}`, copied out: `{}` when absent, `{text}` when well-formed, undefined when
 * present but off (so the whole message is refused, like any other malformed field).
 */
function readText(value: unknown): { text?: PushText } | undefined {
  if (value === undefined) return {};
  if (!isRecord(value)) return undefined;
  const { title, body } = value;
  const bounded = (s: unknown): s is string => typeof s === 'string' && s.length <= MAX_PUSH_TEXT_CHARS;
  return bounded(title) && bounded(body) ? { text: { title, body } } : undefined;
}

/** Who calls and how, as a ring and a missed notice both carry it. */
function readCaller(message: JsonRecord): { displayName?: string; videoOffered: boolean } | undefined {
  const { video, displayName } = message;
  if (typeof video !== 'boolean') return undefined;
  const named = isText(displayName);
  // An empty display name is valid on the wire but names nobody: the caller id is shown instead.
  if (!named && displayName !== undefined && displayName !== '') return undefined;
  return { ...(named ? { displayName } : {}), videoOffered: video };
}

type Common = Pick<CallResult, 'callId' | 'remoteUserId' | 'app' | 'to' | 'sentAt' | 'expiresAt' | 'format'>;

function readRing(message: JsonRecord, common: Common, sureNow: number, expiresAt: number): CallResult | undefined {
  const caller = readCaller(message);
  const headers = readHeaders(message.headers);
  if (!caller || !headers) return undefined;
  const roomId = headers[KALEYRA_ROOM_HEADER];
  return {
    ...common,
    ...caller,
    headers,
    timedOut: sureNow > expiresAt,
    cancelled: false,
    ...(isText(roomId) ? { roomId } : {}),
  };
}

function readCancel(message: JsonRecord, common: Common): CallResult | undefined {
  const { reason } = message;
  const text = readText(message.text);
  if (!isCancelReason(reason) || !text) return undefined;
  return {
    ...common,
    videoOffered: false,
    headers: {},
    timedOut: reason === 'timeout',
    cancelled: true,
    reason,
    ...text,
  };
}

function readMissed(message: JsonRecord, common: Common): CallResult | undefined {
  const { reason, callStartedAt } = message;
  const caller = readCaller(message);
  const text = readText(message.text);
  if (!isMissedReason(reason) || !isTime(callStartedAt) || !caller || !text) return undefined;
  return {
    ...common,
    ...caller,
    headers: {},
    timedOut: reason === 'timeout',
    cancelled: false,
    missed: { reason, callStartedAt },
    ...text,
  };
}

/**
 * A v1 message (docs/providers.md#wire-format-v1) as a call result, or undefined when any field is off.
 * `sureNow` is the latest time the device can be sure has passed (its clock less the skew allowance): a ring is
 * timed out only past its deadline by that time. A cancel or missed notice is timed out when the gateway says
 * so, whatever the device's clock.
 */
export function readCallPush(message: JsonRecord, sureNow: number): CallResult | undefined {
  const { callId, app, from, to, sentAt, expiresAt } = message;
  if (message.v !== 1 || !isText(callId) || !isText(app) || !isText(from) || !isText(to)) return undefined;
  if (!isTime(sentAt) || !isTime(expiresAt)) return undefined;
  const common = { callId, remoteUserId: from, app, to, sentAt, expiresAt, format: 'callpush' as const };
  switch (message.type) {
    case 'call.ring':
      return readRing(message, common, sureNow, expiresAt);
    case 'call.cancel':
      return readCancel(message, common);
    case 'call.missed':
      return readMissed(message, common);
    default:
      return undefined;
  }
}
