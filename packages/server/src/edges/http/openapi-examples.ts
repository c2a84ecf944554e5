/** A named example of a request body, as OpenAPI's `examples` map holds it. */
export interface BodyExample {
  summary: string;
  value: unknown;
}

// Example request bodies of the main operations. The linter checks each against its schema
// (no-invalid-media-type-examples is an error in redocly.yaml) and the OpenAPI test places the example calls on
// a gateway. Tokens and secrets are placeholders: an example shows a shape to copy, never a key.

export const PLACE_CALL_EXAMPLES: Record<string, BodyExample> = {
  videoCall: {
    summary: 'Alice calls Bob with video; the app joins room r-42 on answer',
    value: { from: 'alice', to: ['bob'], video: true, displayName: 'Alice', headers: { room: 'r-42' } },
  },
  groupCall: {
    summary: 'An audio call to two users that rings for 45 seconds',
    value: { from: 'alice', to: ['bob', 'carol'], ringTimeoutSeconds: 45 },
  },
};

export const DEVICE_EXAMPLES: Record<string, BodyExample> = {
  android: {
    summary: 'An Android phone with its FCM registration token',
    value: { provider: 'fcm', token: 'fMEQ0p1bT0K9:APA91bH...', kind: 'alert', locale: 'de' },
  },
  iphone: {
    summary: 'An iPhone: its PushKit token rings, its APNs token gets cancels and missed-call notices',
    value: {
      registrations: [
        { provider: 'apns', token: '3f1c9a...e07b', kind: 'voip' },
        { provider: 'apns', token: '8d2e4b...a91c', kind: 'alert' },
      ],
    },
  },
  browser: {
    summary: 'A browser: its PushSubscription, serialised as JSON',
    value: {
      provider: 'webpush',
      token: '{"endpoint":"https://fcm.googleapis.com/fcm/send/c1...","keys":{"p256dh":"BN...","auth":"k2..."}}',
      kind: 'alert',
    },
  },
};

export const CREDENTIAL_EXAMPLES: Record<string, BodyExample> = {
  fcm: {
    summary: 'FCM HTTP v1 with the service-account file of the Firebase project',
    value: {
      type: 'fcm',
      serviceAccount: {
        type: 'service_account',
        project_id: 'my-app-1234',
        private_key_id: '4f2a...',
        private_key: '-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----\n',
        client_email: 'callpush@my-app-1234.iam.gserviceaccount.com',
        token_uri: 'https://oauth2.googleapis.com/token',
      },
    },
  },
  hms: {
    summary: 'Huawei Push Kit with the app id and client secret of AppGallery Connect',
    value: { type: 'hms', appId: '106123456', clientSecret: '...' },
  },
  apns: {
    summary: 'APNs with a token-based auth key (.p8)',
    value: {
      type: 'apns',
      teamId: 'ABCDE12345',
      keyId: 'KEY1234567',
      privateKey: '-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----\n',
      topic: 'com.example.app',
      environment: 'production',
    },
  },
  webpush: {
    summary: 'Web Push with the VAPID key pair the web app subscribes with',
    value: {
      type: 'webpush',
      vapidPublicKey: 'your-vapid-public-key-base64url',
      vapidPrivateKey: 'your-vapid-private-key-base64url',
      subject: 'mailto:ops@example.com',
    },
  },
};
