/** Reading untrusted values: what every format reader needs, whatever the push looked like. */

/**
 * The largest string parsed as JSON. A call push is far smaller (FCM and HMS carry at most 4 KiB of data,
 * APNs 5 KiB for VoIP); the cap keeps a hostile multi-megabyte string from costing a parse.
 */
export const MAX_INPUT_CHARS = 64 * 1024;

/** Ids, user ids and display names: the gateway's are at most 128 characters; twice that leaves room. */
const MAX_TEXT_CHARS = 256;

export type JsonRecord = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A JSON string parsed, or an object taken as is. Each level of a push's wrapping may be either: a map value
 * is a string on Android, an already-parsed object where a library decoded it first.
 */
export function asRecord(value: unknown): JsonRecord | undefined {
  if (typeof value !== 'string') return isRecord(value) ? value : undefined;
  if (value.length > MAX_INPUT_CHARS) return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    return isRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** A non-empty, bounded string: an id, a user id or a display name. */
export function isText(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_TEXT_CHARS;
}
