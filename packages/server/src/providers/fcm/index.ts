import type { ProviderModule } from '../contract.js';
import { checkOpaqueToken } from '../kit/index.js';
import { createFcmClient } from './client.js';
import { checkFcmCredential, type FcmCredential, FcmCredentialSchema } from './credential.js';
import { dataBytes, fcmPayload, MAX_DATA_BYTES } from './message.js';

/** Firebase Cloud Messaging, HTTP v1 API (docs/providers.md#fcm-http-v1). */
export const fcm: ProviderModule<FcmCredential> = {
  type: 'fcm',
  credentialSchema: FcmCredentialSchema,
  checkCredential: checkFcmCredential,
  checkPushToken: checkOpaqueToken,
  createClient: createFcmClient,
  maxPayloadBytes: () => MAX_DATA_BYTES,
  payloadBytes: (request) => {
    const { data, notification } = fcmPayload(request);
    return dataBytes(data, notification);
  },
  sandbox: {
    deviceId: 'pixel',
    credential: (c) => ({ type: 'fcm', serviceAccount: c.fcm.serviceAccount, endpoint: c.fcm.baseUrl }),
    device: () => ({ token: 'sandbox-fcm-token-bob', kind: 'alert' }),
    describe: (c) => ({ baseUrl: c.fcm.baseUrl, projectId: c.fcm.projectId, serviceAccount: c.fcm.serviceAccount }),
  },
};

export type { FcmCredential } from './credential.js';
export { MESSAGING_SCOPE } from './credential.js';
export { serviceAccountTokenFetcher } from './oauth.js';
