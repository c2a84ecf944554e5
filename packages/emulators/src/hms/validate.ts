import type { DeviceView } from '../core/device-view.js';
import { type HmsResultCode, HmsResultError } from './codes.js';
import { hmsDeviceView } from './device-view.js';
import { checkNotification } from './notification.js';

/** A `messages:send` body that passed HMS's request-level checks. */
export interface HmsSendRequest {
  validateOnly: boolean;
  /** The message as sent, without its `token` list (each accepted token is recorded separately). */
  message: Record<string, unknown>;
  /** The device tokens, or a single `/topics/x` or condition target. */
  targets: string[];
  /** What each device gets. */
  device: DeviceView;
}

/** At most 1000 tokens per request. */
export const MAX_TOKENS = 1000;
/** Body limit, tokens excluded. */
export const MAX_BODY_BYTES_WITHOUT_TOKENS = 4096;
/** Offline caching is capped at 15 days. */
export const MAX_TTL_SECONDS = 15 * 86_400;

/** `android.ttl` as Huawei's own SDKs validate it: seconds, optional fraction, optional `s`. */
const TTL = /^\d+(\.\d{1,9})?[sS]?$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(code: HmsResultCode): never {
  throw new HmsResultError(code);
}

function checkTargets(message: Record<string, unknown>): string[] {
  const present = (['token', 'topic', 'condition'] as const).filter((k) => message[k] !== undefined);
  // A body without any target is what a misplaced `message` or `token` looks like: 80300010.
  if (present.length === 0) fail('80300010');
  if (present.length > 1) fail('80100001');
  const { token, topic, condition } = message;
  if (token !== undefined) {
    if (!Array.isArray(token) || !token.every((t) => typeof t === 'string')) fail('80100003');
    if (token.length === 0 || token.length > MAX_TOKENS) fail('80300010');
    return token as string[];
  }
  if (topic !== undefined) {
    if (typeof topic !== 'string' || !/^[a-zA-Z0-9\-_.~%]{1,900}$/.test(topic)) fail('80100001');
    return [`/topics/${topic}`];
  }
  if (typeof condition !== 'string' || condition === '') fail('80100001');
  return [condition];
}

/** -1 delivers every cached message, 0 the latest, 1..100 the latest per group. */
function isCollapseKey(value: unknown): boolean {
  return Number.isInteger(value) && (value as number) >= -1 && (value as number) <= 100;
}

/** Seconds of an `android.ttl`, or undefined when malformed. */
function ttlSeconds(value: unknown): number | undefined {
  return typeof value === 'string' && TTL.test(value) ? Number.parseFloat(value) : undefined;
}

function checkAndroid(android: unknown, highPriorityAllowed: boolean, isDataMessage: boolean): void {
  if (android === undefined) return;
  if (!isObject(android)) fail('80100003');
  const { urgency, ttl, collapse_key: collapseKey, data, receipt_id: receiptId, bi_tag: biTag } = android;
  if (urgency !== undefined && urgency !== 'HIGH' && urgency !== 'NORMAL') fail('80100001');
  if (ttl !== undefined) {
    const seconds = ttlSeconds(ttl);
    if (seconds === undefined || seconds > MAX_TTL_SECONDS) fail('80100001');
  }
  if (collapseKey !== undefined && !isCollapseKey(collapseKey)) fail('80100013');
  if (data !== undefined && typeof data !== 'string') fail('80100003');
  // The receipt configuration to report to, and the tag the receipts echo.
  if ([receiptId, biTag].some((v) => v !== undefined && typeof v !== 'string')) fail('80100003');
  if (urgency === 'HIGH' && isDataMessage && !highPriorityAllowed) fail('80300011');
}

/** Parses a v1 send body; throws the HmsResultError Huawei answers with. */
export function parseHmsSendRequest(raw: Buffer, highPriorityAllowed: boolean): HmsSendRequest {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    fail('80100003');
  }
  if (!isObject(body)) fail('80100003');
  const { message, validate_only: validateOnly } = body;
  if (!isObject(message)) fail('80300010');
  if (validateOnly !== undefined && typeof validateOnly !== 'boolean') fail('80100003');
  const targets = checkTargets(message);
  if (message.data !== undefined && typeof message.data !== 'string') fail('80100003');
  const android = message.android;
  const isDataMessage =
    message.notification === undefined && !(isObject(android) && android.notification !== undefined);
  checkAndroid(android, highPriorityAllowed, isDataMessage);
  checkNotification(message.notification, isObject(android) ? android.notification : undefined);
  const { token: _tokens, ...withoutTokens } = message;
  if (Buffer.byteLength(JSON.stringify(withoutTokens)) > MAX_BODY_BYTES_WITHOUT_TOKENS) fail('80300008');
  return { validateOnly: validateOnly === true, message: withoutTokens, targets, device: hmsDeviceView(message) };
}
