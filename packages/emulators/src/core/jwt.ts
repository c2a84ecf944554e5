import type { KeyObject } from 'node:crypto';
import { type CompactJWSHeaderParameters, compactVerify, errors } from 'jose';

export interface VerifiedJwt {
  header: CompactJWSHeaderParameters;
  claims: Record<string, unknown>;
}

class NoKeyError extends Error {}

/**
 * Verifies an ES256 compact JWT (APNs provider tokens, VAPID) with the key `keyFor` picks from its
 * unverified header. Resolves undefined for everything a provider calls an invalid token: malformed, another
 * `alg`, no key, a bad signature, claims that are not a JSON object. Raw R‖S signatures verify with a high
 * or a low S (RFC 7515 A.3 has a high one), as Node's verifier does not enforce low S.
 */
export async function verifyEs256Jwt(
  token: string,
  keyFor: (header: CompactJWSHeaderParameters) => KeyObject | undefined,
): Promise<VerifiedJwt | undefined> {
  try {
    const { payload, protectedHeader } = await compactVerify(
      token,
      (header) => {
        const key = keyFor(header);
        if (!key) throw new NoKeyError();
        return key;
      },
      { algorithms: ['ES256'] },
    );
    const claims: unknown = JSON.parse(Buffer.from(payload).toString('utf8'));
    if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) return undefined;
    return { header: protectedHeader, claims: claims as Record<string, unknown> };
  } catch (err) {
    if (err instanceof errors.JOSEError || err instanceof NoKeyError || err instanceof SyntaxError) return undefined;
    throw err;
  }
}
