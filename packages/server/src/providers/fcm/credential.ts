import { type Static, Type } from 'typebox';
import { fingerprint, keyFingerprint } from '#infra/crypto';
import { InvalidInput } from '#kernel';
import type { EndpointSettings } from '../contract.js';
import { checkUrl, parsePrivateKey } from '../kit/index.js';

/** The OAuth scope of an FCM send token, and flow A's default scope. */
export const MESSAGING_SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';

/**
 * An FCM credential: `direct` (default) holds the service-account key; `delegated-a` asks the app owner's
 * authorization server for Google access tokens (docs/providers.md#flow-a) and never sees the key.
 */
export const FcmCredentialSchema = Type.Object(
  {
    type: Type.Literal('fcm'),
    authMode: Type.Optional(
      Type.Union([Type.Literal('direct'), Type.Literal('delegated-a')], {
        description: 'how access tokens are obtained (default direct)',
      }),
    ),
    serviceAccount: Type.Optional(
      Type.Object(
        {
          type: Type.Literal('service_account'),
          project_id: Type.String({ minLength: 1, maxLength: 256 }),
          private_key_id: Type.String({ minLength: 1, maxLength: 256 }),
          private_key: Type.String({ minLength: 1, maxLength: 16384 }),
          client_email: Type.String({ minLength: 3, maxLength: 512 }),
          token_uri: Type.String({ minLength: 1, maxLength: 2048 }),
        },
        {
          description: 'direct: the service-account JSON file downloaded from the Firebase console',
          additionalProperties: true,
        },
      ),
    ),
    projectNumber: Type.Optional(
      Type.String({ pattern: '^[0-9]{1,32}$', description: 'delegated-a: the numeric Firebase project number' }),
    ),
    tokenUrl: Type.Optional(Type.String({ maxLength: 2048, description: 'delegated-a: the owner token URL' })),
    clientId: Type.Optional(
      Type.String({ minLength: 1, maxLength: 256, description: 'delegated-a: the owner OAuth client id' }),
    ),
    clientSecret: Type.Optional(
      Type.String({ minLength: 1, maxLength: 512, description: 'delegated-a: the owner OAuth client secret' }),
    ),
    scope: Type.Optional(
      Type.String({ minLength: 1, maxLength: 512, description: `delegated-a: scope (default ${MESSAGING_SCOPE})` }),
    ),
    fcmTokenUrl: Type.Optional(
      Type.String({ maxLength: 2048, description: 'delegated-a: the owner endpoint that answers FCM tokens' }),
    ),
    endpoint: Type.Optional(Type.String({ maxLength: 2048, description: 'FCM base URL override (emulators)' })),
  },
  { additionalProperties: false, title: 'FCM credential' },
);
export type FcmCredential = Static<typeof FcmCredentialSchema>;

const DELEGATED_FIELDS = ['projectNumber', 'tokenUrl', 'clientId', 'clientSecret', 'fcmTokenUrl'] as const;

async function checkDirect(c: FcmCredential, settings: EndpointSettings): Promise<Record<string, unknown>> {
  const account = c.serviceAccount;
  if (!account) throw new InvalidInput('invalid_credential', 'serviceAccount is required', 'serviceAccount');
  for (const field of [...DELEGATED_FIELDS, 'scope'] as const) {
    if (c[field] !== undefined) {
      throw new InvalidInput('invalid_credential', `${field} applies to authMode delegated-a only`, field);
    }
  }
  const key = parsePrivateKey(account.private_key, 'serviceAccount.private_key', 'rsa');
  if (!account.client_email.includes('@')) {
    throw new InvalidInput(
      'invalid_credential',
      'serviceAccount.client_email must be an e-mail address',
      'serviceAccount.client_email',
    );
  }
  await checkUrl(account.token_uri, 'serviceAccount.token_uri', settings);
  return {
    authMode: 'direct',
    projectId: account.project_id,
    clientEmail: account.client_email,
    privateKeyId: account.private_key_id,
    tokenUri: account.token_uri,
    privateKeyFingerprint: keyFingerprint(key),
  };
}

async function checkDelegatedA(c: FcmCredential, settings: EndpointSettings): Promise<Record<string, unknown>> {
  if (c.serviceAccount) {
    throw new InvalidInput(
      'invalid_credential',
      'serviceAccount does not apply to authMode delegated-a',
      'serviceAccount',
    );
  }
  for (const field of DELEGATED_FIELDS) {
    if (c[field] === undefined) {
      throw new InvalidInput('invalid_credential', `${field} is required with authMode delegated-a`, field);
    }
  }
  await checkUrl(c.tokenUrl, 'tokenUrl', settings);
  await checkUrl(c.fcmTokenUrl, 'fcmTokenUrl', settings);
  return {
    authMode: 'delegated-a',
    projectNumber: c.projectNumber,
    tokenUrl: c.tokenUrl,
    clientId: c.clientId,
    clientSecretFingerprint: fingerprint(c.clientSecret ?? ''),
    scope: c.scope ?? MESSAGING_SCOPE,
    fcmTokenUrl: c.fcmTokenUrl,
  };
}

export async function checkFcmCredential(
  c: FcmCredential,
  settings: EndpointSettings,
): Promise<Record<string, unknown>> {
  const view = c.authMode === 'delegated-a' ? await checkDelegatedA(c, settings) : await checkDirect(c, settings);
  await checkUrl(c.endpoint, 'endpoint', settings);
  return { ...view, ...(c.endpoint ? { endpoint: c.endpoint } : {}) };
}
