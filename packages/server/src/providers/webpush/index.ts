import webpush from 'web-push';
import type { ProviderModule } from '../contract.js';
import { createWebPushClient } from './client.js';
import {
  checkFormatChoice,
  checkWebPushCredential,
  type WebPushCredential,
  WebPushCredentialSchema,
} from './credential.js';
import { MAX_BODY_BYTES, webPushBodyBytes, webPushPlaintext } from './request.js';
import { checkSubscriptionToken } from './subscription.js';

/** Web Push with VAPID (docs/providers.md#web-push). */
export const webPush: ProviderModule<WebPushCredential> = {
  type: 'webpush',
  credentialSchema: WebPushCredentialSchema,
  checkCredential: checkWebPushCredential,
  checkPushToken: async (token, credential, settings, choices) => {
    checkFormatChoice(credential, choices);
    await checkSubscriptionToken(token, credential, settings);
  },
  createClient: createWebPushClient,
  maxPayloadBytes: () => MAX_BODY_BYTES,
  // In the shape the client sends: the registration's format, else the credential's (docs/providers.md#webpush-declarative).
  payloadBytes: (request, _kind, _now, credential, choices) =>
    webPushBodyBytes(webPushPlaintext(request, credential, choices)),
  sandbox: {
    deviceId: 'browser',
    credential: (c) => {
      // web-push pads the private key to 32 bytes; a bare ECDH key is one byte short once in 256 generations.
      const vapid = webpush.generateVAPIDKeys();
      return {
        type: 'webpush',
        vapidPublicKey: vapid.publicKey,
        vapidPrivateKey: vapid.privateKey,
        subject: 'mailto:sandbox@callpush.invalid',
        endpoint: c.webpush.baseUrl,
        // The emulator's subscriptions are on loopback: listed, so the sandbox user's browser may register.
        allowedOrigins: [new URL(c.webpush.baseUrl).origin],
      };
    },
    device: (emulators) => {
      const subscription = emulators.webpush.createSubscription();
      // The emulators' inspection API finds Web Push messages by subscription id.
      const token = JSON.stringify({ endpoint: subscription.endpoint, keys: subscription.keys });
      return { token, kind: 'alert', inspectAs: subscription.id };
    },
    describe: (c) => ({ ...c.webpush }),
  },
};

export type { WebPushCredential } from './credential.js';
