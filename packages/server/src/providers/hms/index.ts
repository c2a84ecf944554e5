import { type ProviderModule, secondsLeft } from '../contract.js';
import { checkOpaqueToken } from '../kit/index.js';
import { createHmsClient } from './client.js';
import { checkHmsCredential, type HmsCredential, HmsCredentialSchema } from './credential.js';
import { hmsMessageBytes, MAX_MESSAGE_BYTES } from './message.js';

/** Huawei Push Kit: the v1 API, and v3 for HarmonyOS NEXT (docs/providers.md#hms-push-kit-v1, #hms-v3). */
export const hms: ProviderModule<HmsCredential> = {
  type: 'hms',
  credentialSchema: HmsCredentialSchema,
  checkCredential: checkHmsCredential,
  checkPushToken: checkOpaqueToken,
  createClient: createHmsClient,
  maxPayloadBytes: () => MAX_MESSAGE_BYTES,
  // The TTL is part of the message: the one left at `now` is the longest any later send carries.
  payloadBytes: (request, _kind, now, credential) =>
    hmsMessageBytes(request, secondsLeft(request.deadline, now), credential.receipts?.receiptId),
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
export {
  CALLBACK_TOLERANCE_MS,
  type CallbackSecret,
  type HmsReceiptKind,
  hmsCallbackValue,
  hmsReceiptStatus,
  verifyHmsCallbackId,
} from './receipts.js';
