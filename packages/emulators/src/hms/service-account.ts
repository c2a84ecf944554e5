import { generateKeyPairSync, type KeyObject, randomBytes, randomInt } from 'node:crypto';
import { verifyJwt } from '../core/jwt.js';
import { HmsResultError } from './codes.js';

/** The audience Huawei's service-account JWTs name, whatever host they are sent to. */
export const SERVICE_ACCOUNT_AUDIENCE = 'https://oauth-login.cloud.huawei.com/oauth2/v3/token';
/** Huawei advises JWTs valid for an hour and reused within it; a longer one is refused here. */
const MAX_LIFETIME_SECONDS = 3600;

/** The fields of a Huawei service-account key file that a sender uses (the file has a few more URLs). */
export interface HmsServiceAccount {
  project_id: string;
  key_id: string;
  /** PKCS#8 PEM, RSA. */
  private_key: string;
  sub_account: string;
}

/** A service account of a generated project, with the public key that checks its JWTs. */
export function createServiceAccount(projectId = String(randomInt(100_000_000, 999_999_999))) {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const account: HmsServiceAccount = {
    project_id: projectId,
    key_id: randomBytes(16).toString('hex'),
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    sub_account: String(randomInt(100_000_000, 999_999_999)),
  };
  return { account, publicKey };
}

/**
 * Checks the bearer JWT of a v3 send as Push Kit does: PS256 by the service account's key (`kid` = its
 * `key_id`), `iss` its sub-account, the OAuth token URL as `aud`, unexpired and at most an hour long, for the
 * project the path names. An expired one is 80200003; anything else wrong 80200001. v1 access tokens are
 * no JWTs of the account, so they are 80200001 here too.
 */
export async function checkServiceAccountJwt(
  bearer: string | undefined,
  projectId: string,
  account: HmsServiceAccount,
  publicKey: KeyObject,
  nowSeconds: number,
): Promise<void> {
  const verified =
    bearer === undefined
      ? undefined
      : await verifyJwt(bearer, (h) => (h.kid === account.key_id ? publicKey : undefined), 'PS256');
  const { iss, aud, iat, exp } = verified?.claims ?? {};
  const valid =
    verified !== undefined &&
    projectId === account.project_id &&
    iss === account.sub_account &&
    aud === SERVICE_ACCOUNT_AUDIENCE &&
    typeof iat === 'number' &&
    typeof exp === 'number' &&
    exp - iat <= MAX_LIFETIME_SECONDS &&
    iat <= nowSeconds + 60;
  if (!valid) throw new HmsResultError('80200001');
  if ((exp as number) <= nowSeconds) throw new HmsResultError('80200003');
}
