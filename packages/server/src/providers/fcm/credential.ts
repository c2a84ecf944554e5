import { type Static, Type } from 'typebox';
import { badRequest } from '../../http/errors.js';
import { checkUrl, keyFingerprint, parsePrivateKey } from '../credential-kit.js';

export const FcmCredentialSchema = Type.Object(
  {
    type: Type.Literal('fcm'),
    serviceAccount: Type.Object(
      {
        type: Type.Literal('service_account'),
        project_id: Type.String({ minLength: 1, maxLength: 256 }),
        private_key_id: Type.String({ minLength: 1, maxLength: 256 }),
        private_key: Type.String({ minLength: 1, maxLength: 16384 }),
        client_email: Type.String({ minLength: 3, maxLength: 512 }),
        token_uri: Type.String({ minLength: 1, maxLength: 2048 }),
      },
      { description: 'the service-account JSON file downloaded from the Firebase console', additionalProperties: true },
    ),
    endpoint: Type.Optional(Type.String({ maxLength: 2048, description: 'FCM base URL override (emulators)' })),
  },
  { additionalProperties: false, title: 'FCM credential' },
);
export type FcmCredential = Static<typeof FcmCredentialSchema>;

export function checkFcmCredential(c: FcmCredential): Record<string, unknown> {
  const key = parsePrivateKey(c.serviceAccount.private_key, 'serviceAccount.private_key', 'rsa');
  if (!c.serviceAccount.client_email.includes('@')) {
    throw badRequest(
      'invalid_credential',
      'serviceAccount.client_email must be an e-mail address',
      'serviceAccount.client_email',
    );
  }
  checkUrl(c.serviceAccount.token_uri, 'serviceAccount.token_uri');
  checkUrl(c.endpoint, 'endpoint');
  return {
    projectId: c.serviceAccount.project_id,
    clientEmail: c.serviceAccount.client_email,
    privateKeyId: c.serviceAccount.private_key_id,
    tokenUri: c.serviceAccount.token_uri,
    privateKeyFingerprint: keyFingerprint(key),
    ...(c.endpoint ? { endpoint: c.endpoint } : {}),
  };
}
