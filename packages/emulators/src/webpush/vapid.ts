import { createPublicKey, type KeyObject } from 'node:crypto';
import { verifyEs256Jwt } from '../core/jwt.js';
import { WebPushRejection } from './rejection.js';

/** The `t` (JWT) and `k` (signing public key) parameters of `Authorization: vapid` (RFC 8292 §3). */
export interface VapidCredentials {
  token: string;
  /** Uncompressed P-256 point, 65 bytes. */
  publicKey: Buffer;
}

/** A VAPID JWT may not claim to be valid for more than 24 hours from the request (RFC 8292 §2). */
const MAX_EXPIRY_MS = 24 * 3_600_000;

/** A P-256 public key from its uncompressed point; undefined when the bytes are not a point on the curve. */
export function p256PublicKey(point: Buffer): KeyObject | undefined {
  if (point.length !== 65 || point[0] !== 0x04) return undefined;
  try {
    return createPublicKey({
      key: {
        kty: 'EC',
        crv: 'P-256',
        x: point.subarray(1, 33).toString('base64url'),
        y: point.subarray(33).toString('base64url'),
      },
      format: 'jwk',
    });
  } catch {
    return undefined;
  }
}

const forbidden = (reason: string, message: string) => new WebPushRejection(403, reason, message);

/**
 * Reads `Authorization: vapid t=…, k=…` (spacing tolerated, unknown parameters ignored). Undefined when
 * the request carries no VAPID at all; a `vapid` header without a usable `t` and `k` is refused.
 */
export function parseVapidAuthorization(authorization: string | undefined): VapidCredentials | undefined {
  const match = /^vapid\s+(.*)$/is.exec(authorization?.trim() ?? '');
  if (!match) return undefined;
  const params = new Map<string, string>();
  for (const part of match[1]!.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0)
      params.set(
        part.slice(0, eq).trim().toLowerCase(),
        part
          .slice(eq + 1)
          .trim()
          .replace(/^"(.*)"$/, '$1'),
      );
  }
  const token = params.get('t');
  const k = params.get('k');
  if (!token || !k) throw forbidden('vapid_malformed', 'vapid credentials need both t and k');
  return { token, publicKey: Buffer.from(k, 'base64url') };
}

/**
 * Validates VAPID credentials the way RFC 8292 §4 asks of a push service: ES256 signature by `k`, `aud`
 * equal to the push resource's origin, `exp` in the future but at most 24 h away, and a `sub` (optional)
 * that is a `mailto:` or `https:` contact. Returns the claims; throws the 403 otherwise.
 */
export async function verifyVapid(
  credentials: VapidCredentials,
  audience: string,
  nowMs: number,
): Promise<Record<string, unknown>> {
  const key = p256PublicKey(credentials.publicKey);
  if (!key) throw forbidden('vapid_malformed', 'k is not an uncompressed P-256 public key');
  const verified = await verifyEs256Jwt(credentials.token, () => key);
  if (!verified) throw forbidden('vapid_signature', 'the VAPID JWT is malformed or not signed by k');
  const { aud, exp, sub } = verified.claims;
  if (aud !== audience) throw forbidden('vapid_audience', `aud must be ${audience}`);
  if (typeof exp !== 'number' || exp * 1000 <= nowMs) throw forbidden('vapid_expired', 'the VAPID JWT has expired');
  if (exp * 1000 - nowMs > MAX_EXPIRY_MS) throw forbidden('vapid_expiry_too_far', 'exp is more than 24 hours ahead');
  if (sub !== undefined && (typeof sub !== 'string' || !/^(mailto:|https:)/.test(sub))) {
    throw forbidden('vapid_subject', 'sub must be a mailto: or https: URI');
  }
  return verified.claims;
}
