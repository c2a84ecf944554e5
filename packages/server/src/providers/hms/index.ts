import type { ProviderModule } from '../contract.js';
import { checkOpaqueToken } from '../kit/index.js';
import { createHmsClient } from './client.js';
import { checkHmsCredential, type HmsCredential, HmsCredentialSchema } from './credential.js';

/** Huawei Push Kit, v1 API (docs/providers.md#hms-push-kit-v1). */
export const hms: ProviderModule<HmsCredential> = {
  type: 'hms',
  credentialSchema: HmsCredentialSchema,
  checkCredential: checkHmsCredential,
  checkPushToken: checkOpaqueToken,
  createClient: createHmsClient,
  sandbox: {
    deviceId: 'huawei',
    credential: (c) => ({
      type: 'hms',
      appId: c.hms.appId,
      clientSecret: c.hms.clientSecret,
      endpoint: c.hms.baseUrl,
      tokenUrl: c.hms.tokenUrl,
    }),
    device: () => ({ token: 'sandbox-hms-token-bob', kind: 'alert' }),
    describe: (c) => ({ ...c.hms }),
  },
};

export { hmsTokenFetcher } from './auth.js';
export type { HmsCredential } from './credential.js';
export {
  appIssuer,
  applicationKeyName,
  CLIENT_ASSERTION_TYPE,
  HMS_SCOPE,
  MAX_ASSERTION_LIFETIME_SECONDS,
} from './delegation.js';
