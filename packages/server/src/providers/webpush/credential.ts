import { createECDH } from 'node:crypto';
import { type Static, Type } from 'typebox';
import { fingerprint } from '#infra/crypto';
import { InvalidInput } from '#kernel';
import { checkUrl } from '../kit/index.js';

const BASE64URL = '^[A-Za-z0-9_-]+={0,2}$';

export const WebPushCredentialSchema = Type.Object(
  {
    type: Type.Literal('webpush'),
    vapidPublicKey: Type.String({
      pattern: BASE64URL,
      maxLength: 200,
      description: 'uncompressed P-256 point, base64url',
    }),
    vapidPrivateKey: Type.String({
      pattern: BASE64URL,
      maxLength: 100,
      description: '32-byte P-256 scalar, base64url',
    }),
    subject: Type.String({ minLength: 1, maxLength: 512, description: 'mailto: or https: contact of the sender' }),
    endpoint: Type.Optional(Type.String({ maxLength: 2048, description: 'push service origin override (emulators)' })),
  },
  { additionalProperties: false, title: 'Web Push credential' },
);
export type WebPushCredential = Static<typeof WebPushCredentialSchema>;

export function checkWebPushCredential(c: WebPushCredential): Record<string, unknown> {
  const publicKey = Buffer.from(c.vapidPublicKey, 'base64url');
  const privateKey = Buffer.from(c.vapidPrivateKey, 'base64url');
  if (publicKey.length !== 65 || publicKey[0] !== 0x04) {
    throw new InvalidInput(
      'invalid_credential',
      'vapidPublicKey must be a 65-byte uncompressed P-256 point',
      'vapidPublicKey',
    );
  }
  if (privateKey.length !== 32) {
    throw new InvalidInput('invalid_credential', 'vapidPrivateKey must be 32 bytes', 'vapidPrivateKey');
  }
  const ecdh = createECDH('prime256v1');
  try {
    ecdh.setPrivateKey(privateKey);
  } catch {
    throw new InvalidInput('invalid_credential', 'vapidPrivateKey is not a valid P-256 key', 'vapidPrivateKey');
  }
  if (!ecdh.getPublicKey().equals(publicKey)) {
    throw new InvalidInput('invalid_credential', 'vapidPrivateKey does not match vapidPublicKey', 'vapidPrivateKey');
  }
  if (!/^(mailto:|https:\/\/)/.test(c.subject)) {
    throw new InvalidInput('invalid_credential', 'subject must be a mailto: or https: URL', 'subject');
  }
  checkUrl(c.endpoint, 'endpoint');
  return {
    vapidPublicKey: c.vapidPublicKey,
    subject: c.subject,
    vapidPrivateKeyFingerprint: fingerprint(privateKey),
    ...(c.endpoint ? { endpoint: c.endpoint } : {}),
  };
}
