import { InvalidInput } from '#kernel';
import type { ProviderModule } from '../contract.js';
import { createApnsClient } from './client.js';
import { type ApnsCredential, ApnsCredentialSchema, checkApnsCredential } from './credential.js';
import { apnsPayload, MAX_PAYLOAD_BYTES } from './request.js';

/** The bundle id of the sandbox app's APNs credential. */
export const SANDBOX_APNS_TOPIC = 'com.example.callpush';

/** Apple Push Notification service, HTTP/2 provider API (docs/providers.md#apns). */
export const apns: ProviderModule<ApnsCredential> = {
  type: 'apns',
  credentialSchema: ApnsCredentialSchema,
  checkCredential: checkApnsCredential,
  checkPushToken: (token) => {
    if (!/^[0-9a-fA-F]{64,200}$/.test(token)) {
      throw new InvalidInput('invalid_token', 'token must be the hex APNs device token', 'token');
    }
  },
  createClient: createApnsClient,
  maxPayloadBytes: (kind) => MAX_PAYLOAD_BYTES[kind],
  payloadBytes: (request, kind) => Buffer.byteLength(apnsPayload(request, kind)),
  sandbox: {
    deviceId: 'iphone',
    credential: (c) => ({
      type: 'apns',
      teamId: c.apns.teamId,
      keyId: c.apns.keyId,
      privateKey: c.apns.privateKey,
      topic: SANDBOX_APNS_TOPIC,
      environment: 'sandbox',
      endpoint: c.apns.baseUrl,
    }),
    device: () => ({ token: 'b0b0'.repeat(16), kind: 'voip' }),
    describe: (c) => ({ ...c.apns, topic: SANDBOX_APNS_TOPIC }),
  },
};

export type { ApnsCredential } from './credential.js';
