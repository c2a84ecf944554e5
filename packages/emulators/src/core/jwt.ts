import type { KeyObject } from 'node:crypto';
import { type CompactJWSHeaderParameters, compactVerify, errors } from 'jose';

export interface VerifiedJwt {
  header: CompactJWSHeaderParameters;
  claims: Record<string, unknown>;
}

class NoKeyError extends Error {}

/**
 * Verifies an ES256 compact JWT (APNs provider tokens, VAPID) with the key `keyFor` picks from its
 * unverified header. Raw R‖S signatures verify with a high or a low S (RFC 7515 A.3 has a high one), as
 * Node's verifier does not enforce low S.
 */
export const verifyEs256Jwt = (token: string, keyFor: KeyPicker) => verifyJwt(token, keyFor, 'ES256');

type KeyPicker = (header: CompactJWSHeaderParameters) => KeyObject | undefined;

/**
 * Verifies a compact JWT signed with `algorithm` (ES256 above; PS256 for Huawei service accounts) with the key
 * `keyFor` picks from its unverified header. Resolves undefined for everything a provider calls an invalid
 * token: malformed, another `alg`, no key, a bad signature, claims that are not a JSON object.
 */
export async function verifyJwt(
  token: string,
  keyFor: KeyPicker,
  algorithm: 'ES256' | 'PS256',
): Promise<VerifiedJwt | undefined> {
  try {
    const { payload, protectedHeader } = await compactVerify(
      token,
      (header) => {
        const key = keyFor(header);
        if (!key) throw new NoKeyError();
        return key;
      },
      { algorithms: [algorithm] },
    );
    const claims: unknown = JSON.parse(Buffer.from(payload).toString('utf8'));
    if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) return undefined;
    return { header: protectedHeader, claims: claims as Record<string, unknown> };
  } catch (err) {
    if (err instanceof errors.JOSEError || err instanceof NoKeyError || err instanceof SyntaxError) return undefined;
    throw err;
  }
}
