import type { DeviceView } from '../core/device-view.js';
import { type HmsResultCode, HmsResultError } from './codes.js';
import { MAX_BODY_BYTES_WITHOUT_TOKENS, MAX_TOKENS, MAX_TTL_SECONDS } from './validate.js';

/** A v3 (HarmonyOS NEXT) `messages:send` that passed Push Kit's request-level checks. */
export interface HmsV3SendRequest {
  /** The `push-type` header: the scenario the message is for. */
  pushType: number;
  /** The body without its token list. */
  message: Record<string, unknown>;
  targets: string[];
  device: DeviceView;
}

/**
 * The scenarios of the `push-type` header: 0 alert (notification or badge), 1 widget update, 2 text-to-speech,
 * 6 background, 7 live view, 10 in-app call. The in-app call and background payloads carry the app's data as
 * the string `extraData`; the others are not played here and only need an object.
 */
const PUSH_TYPES = new Set([0, 1, 2, 6, 7, 10]);
const DATA_PUSH_TYPES = new Set([6, 10]);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function fail(code: HmsResultCode): never {
  throw new HmsResultError(code);
}

function checkOptions(options: unknown): void {
  if (options === undefined) return;
  if (!isObject(options)) fail('80100003');
  const { ttl, testMessage, receiptId, biTag } = options;
  // Seconds as an integer (not v1's "30s" string), at most 15 days.
  if (ttl !== undefined && (!Number.isInteger(ttl) || (ttl as number) < 0 || (ttl as number) > MAX_TTL_SECONDS)) {
    fail('80100001');
  }
  if (testMessage !== undefined && typeof testMessage !== 'boolean') fail('80100003');
  if ([receiptId, biTag].some((v) => v !== undefined && typeof v !== 'string')) fail('80100003');
}

function checkTargets(target: unknown): string[] {
  if (!isObject(target)) fail('80300010');
  const { token } = target;
  if (!Array.isArray(token) || !token.every((t) => typeof t === 'string')) fail('80100003');
  if (token.length === 0 || token.length > MAX_TOKENS) fail('80300010');
  return token as string[];
}

/** Parses a v3 send; throws the HmsResultError Push Kit answers with. */
export function parseHmsV3SendRequest(pushTypeHeader: unknown, raw: Buffer): HmsV3SendRequest {
  const pushType = typeof pushTypeHeader === 'string' && /^\d+$/.test(pushTypeHeader) ? Number(pushTypeHeader) : NaN;
  if (!PUSH_TYPES.has(pushType)) fail('80100001');
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    fail('80100003');
  }
  if (!isObject(body) || !isObject(body.payload)) fail('80100003');
  if (DATA_PUSH_TYPES.has(pushType) && typeof body.payload.extraData !== 'string') fail('80100003');
  checkOptions(body.pushOptions);
  const targets = checkTargets(body.target);
  const { target: _target, ...message } = body;
  if (Buffer.byteLength(JSON.stringify(message)) > MAX_BODY_BYTES_WITHOUT_TOKENS) fail('80300008');
  // An in-app call rings at once; a background message waits for the app to run.
  return { pushType, message, targets, device: { priority: pushType === 10 ? 'high' : 'normal' } };
}
