import { createECDH, generateKeyPairSync } from 'node:crypto';
import webpush from 'web-push';

/** Provider credentials with freshly generated keys, as an app owner would upload them. */
export function fcmCredential(projectId = 'demo-project') {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    type: 'fcm' as const,
    serviceAccount: {
      type: 'service_account' as const,
      project_id: projectId,
      private_key_id: 'abc123',
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: `push@${projectId}.iam.gserviceaccount.com`,
      client_id: '1234567890',
      token_uri: 'https://oauth2.googleapis.com/token',
    },
  };
}

export function apnsCredential() {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    type: 'apns' as const,
    teamId: 'ABCDE12345',
    keyId: 'KEY1234567',
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    topic: 'com.example.calls',
    environment: 'sandbox' as const,
  };
}

/** The APNs emulator's own key as a credential for `topic`, sent to the emulator (sandbox). */
export function emulatorApnsCredential(
  apns: { teamId: string; keyId: string; privateKey: string; baseUrl: string },
  topic: string,
) {
  return {
    type: 'apns' as const,
    teamId: apns.teamId,
    keyId: apns.keyId,
    privateKey: apns.privateKey,
    topic,
    environment: 'sandbox' as const,
    endpoint: apns.baseUrl,
  };
}

export function webPushCredential() {
  // web-push pads the private key to 32 bytes (a bare ECDH key is a byte short once in 256).
  const vapid = webpush.generateVAPIDKeys();
  return {
    type: 'webpush' as const,
    vapidPublicKey: vapid.publicKey,
    vapidPrivateKey: vapid.privateKey,
    subject: 'mailto:ops@example.com',
  };
}

export function hmsCredential() {
  return { type: 'hms' as const, appId: '106123456', clientSecret: 'hms-client-secret-5f9a1c7e0b' };
}

/** A browser-shaped Web Push subscription (what PushSubscription.toJSON() gives), as a device token. */
export function webPushSubscriptionToken(endpoint = 'https://push.example.net/push/abc'): string {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return JSON.stringify({
    endpoint,
    keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: Buffer.alloc(16, 7).toString('base64url') },
  });
}
