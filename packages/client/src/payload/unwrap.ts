import { isCallPushEnvelope } from './callpush-format.js';
import { isKaleyraCallEvent } from './kaleyra-format.js';
import { asRecord, type JsonRecord } from './read.js';

/** The message found inside a push, before its fields are checked. */
export type Unwrapped =
  /** `message` is undefined when the `callpush` key holds no JSON object. */
  { format: 'callpush'; message: JsonRecord | undefined } | { format: 'kaleyra'; body: JsonRecord };

/** What marks a Web Push body as a declarative push message. */
const DECLARATIVE_MARK = 8030;

/**
 * Finds the message inside each transport's wrapping (docs/providers.md#wire-format-v1), reading only the keys
 * that matter so a large or cyclic object costs nothing:
 * - FCM data map, HMS map form, APNs dictionary: the v1 message under `callpush`, a JSON string or an object;
 * - HMS data string: the same map as JSON;
 * - Web Push body, active-connection frame: the v1 message itself, as JSON or parsed;
 * - declarative Web Push message (`"web_push": 8030`, docs/providers.md#webpush-declarative): the v1 message in
 *   its notification's `data`, which a page's service worker gets when the browser hands the push over;
 * - Kaleyra (docs/providers.md#kaleyra-sdk-payloads): the webhook body under `message` (`kaleyra` format), under
 *   `message` → `kaleyra` → `payload` (hybrid bridge key path), or the body itself.
 */
export function unwrap(data: unknown): Unwrapped | undefined {
  const outer = asRecord(data);
  if (!outer) return undefined;
  if (outer.callpush !== undefined) return { format: 'callpush', message: asRecord(outer.callpush) };
  if (isCallPushEnvelope(outer)) return { format: 'callpush', message: outer };
  const shown = outer.web_push === DECLARATIVE_MARK ? asRecord(asRecord(outer.notification)?.data) : undefined;
  if (shown && isCallPushEnvelope(shown)) return { format: 'callpush', message: shown };
  const inner = asRecord(outer.message);
  const body = asRecord(asRecord(inner?.kaleyra)?.payload) ?? inner ?? outer;
  return isKaleyraCallEvent(body) ? { format: 'kaleyra', body } : undefined;
}
