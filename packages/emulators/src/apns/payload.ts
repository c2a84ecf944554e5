import type { AnyRequest } from '../core/http.js';
import { BodyTooLargeError, readBody } from '../core/http.js';
import { checkAlertAps } from './aps.js';
import type { PushType } from './headers.js';
import { ApnsRejection } from './reasons.js';

/** Payload limits in bytes (docs/providers.md#apns-headers): VoIP gets 5120, everything else 4096. */
export const PAYLOAD_LIMIT = 4096;
export const VOIP_PAYLOAD_LIMIT = 5120;

/**
 * Reads the request body whatever the request turns out to be, so that answering never leaves a half-read
 * stream behind; undefined means it was longer than any push type allows.
 */
export async function readPayloadBytes(req: AnyRequest): Promise<Buffer | undefined> {
  try {
    return await readBody(req, VOIP_PAYLOAD_LIMIT);
  } catch (err) {
    if (err instanceof BodyTooLargeError) return undefined;
    throw err;
  }
}

/**
 * Checks size and shape of the body for `pushType` and returns the decoded JSON dictionary: an `alert` push
 * must carry an `aps` iOS can show.
 */
export function decodePayload(body: Buffer | undefined, pushType: PushType): Record<string, unknown> {
  const limit = pushType === 'voip' ? VOIP_PAYLOAD_LIMIT : PAYLOAD_LIMIT;
  if (body === undefined || body.length > limit) throw new ApnsRejection('PayloadTooLarge');
  if (body.length === 0) throw new ApnsRejection('PayloadEmpty');
  let payload: unknown;
  try {
    payload = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ApnsRejection('BadPayload');
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw new ApnsRejection('BadPayload');
  const dictionary = payload as Record<string, unknown>;
  if (pushType === 'alert') checkAlertAps(dictionary);
  return dictionary;
}
