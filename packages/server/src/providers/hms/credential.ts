import { type Static, Type } from 'typebox';
import { fingerprint, keyFingerprint } from '#infra/crypto';
import { InvalidInput } from '#kernel';
import type { EndpointSettings } from '../contract.js';
import { checkUrl, parsePrivateKey } from '../kit/index.js';
import { HMS_SCOPE } from './delegation.js';

/**
 * An HMS credential in one of three auth modes (docs/huawei-oauth.md): `direct` holds the Huawei app secret;
 * `delegated-a` and `delegated-b` ask the app owner's authorization server for HMS access tokens instead.
 * Fields mean what the mode says; checkHmsCredential enforces which belong to which mode.
 */
/** The fields of a Huawei service-account key file that v3 signs with; the file's other fields may stay. */
const ServiceAccountSchema = Type.Object(
  {
    project_id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[0-9A-Za-z._-]+$' }),
    key_id: Type.String({ minLength: 1, maxLength: 128 }),
    private_key: Type.String({ minLength: 1, maxLength: 8192, description: 'PKCS#8 PEM, RSA' }),
    sub_account: Type.String({ minLength: 1, maxLength: 128 }),
  },
  { description: 'v3: the service-account key file from the API Console (its URLs are not used)' },
);

/**
 * Push Kit's message receipts (docs/providers.md#hms-receipts): the receipt configuration of AppGallery Connect
 * whose id every message names, and its callback user name and key, which sign each receipt's
 * `X-HUAWEI-CALLBACK-ID`. The key is a secret: only its fingerprint is shown.
 */
const ReceiptsSchema = Type.Object(
  {
    receiptId: Type.String({
      minLength: 1,
      maxLength: 64,
      pattern: '^[0-9A-Za-z._-]+$',
      description: 'the receipt configuration id from AppGallery Connect, sent as android.receipt_id',
    }),
    username: Type.String({
      minLength: 1,
      maxLength: 128,
      pattern: '^[\\x21-\\x7e]+$',
      description: 'the callback user name set in the receipt configuration',
    }),
    key: Type.String({
      minLength: 8,
      maxLength: 256,
      description: 'the callback key set in the receipt configuration',
    }),
  },
  { additionalProperties: false, description: 'message receipts posted to POST /v1/webhooks/hms-receipts/{appKey}' },
);

export const HmsCredentialSchema = Type.Object(
  {
    type: Type.Literal('hms'),
    api: Type.Optional(
      Type.Union([Type.Literal('v1'), Type.Literal('v3')], {
        description:
          'v1 (default): Push Kit for Android, OAuth app credentials; v3: HarmonyOS NEXT devices, a service-account JWT',
      }),
    ),
    serviceAccount: Type.Optional(ServiceAccountSchema),
    authMode: Type.Optional(
      Type.Union([Type.Literal('direct'), Type.Literal('delegated-a'), Type.Literal('delegated-b')], {
        description: 'how access tokens are obtained (default direct)',
      }),
    ),
    appId: Type.String({ minLength: 1, maxLength: 64, pattern: '^[0-9A-Za-z._-]+$', description: 'Huawei app id' }),
    clientSecret: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 512,
        description: 'direct: the app secret from AppGallery Connect; delegated-a: the owner OAuth client secret',
      }),
    ),
    clientId: Type.Optional(
      Type.String({ minLength: 1, maxLength: 256, description: 'delegated-a: the owner OAuth client id' }),
    ),
    scope: Type.Optional(
      Type.String({ minLength: 1, maxLength: 512, description: `delegated modes: scope (default ${HMS_SCOPE})` }),
    ),
    endpoint: Type.Optional(Type.String({ maxLength: 2048, description: 'Push Kit base URL override (emulators)' })),
    tokenUrl: Type.Optional(
      Type.String({
        maxLength: 2048,
        description: 'direct: Huawei OAuth token URL override (emulators); delegated modes: the owner token URL',
      }),
    ),
    hmsTokenUrl: Type.Optional(
      Type.String({ maxLength: 2048, description: 'delegated-a: the owner endpoint that answers HMS tokens' }),
    ),
    receipts: Type.Optional(ReceiptsSchema),
  },
  { additionalProperties: false, title: 'HMS credential' },
);
export type HmsCredential = Static<typeof HmsCredentialSchema>;
export type HmsAuthMode = NonNullable<HmsCredential['authMode']>;

type Field = Exclude<keyof HmsCredential, 'type' | 'api' | 'authMode' | 'appId' | 'endpoint' | 'receipts'>;

/**
 * Per mode, the fields it requires and those it may have; anything else is refused so no field is ignored. v3
 * signs its own JWTs with the service account, so it has no OAuth mode.
 */
const MODE_FIELDS: Record<HmsAuthMode | 'v3', { required: Field[]; optional: Field[] }> = {
  direct: { required: ['clientSecret'], optional: ['tokenUrl'] },
  'delegated-a': { required: ['tokenUrl', 'clientId', 'clientSecret', 'hmsTokenUrl'], optional: ['scope'] },
  'delegated-b': { required: ['tokenUrl'], optional: ['scope'] },
  v3: { required: ['serviceAccount'], optional: [] },
};
const FIELDS: Field[] = ['clientSecret', 'clientId', 'scope', 'tokenUrl', 'hmsTokenUrl', 'serviceAccount'];

export async function checkHmsCredential(
  c: HmsCredential,
  settings: EndpointSettings,
): Promise<Record<string, unknown>> {
  const v3 = c.api === 'v3';
  if (v3 && c.authMode !== undefined) {
    throw new InvalidInput('invalid_credential', 'authMode does not apply to api v3', 'authMode');
  }
  const mode = c.authMode ?? 'direct';
  const { required, optional } = MODE_FIELDS[v3 ? 'v3' : mode];
  const modeName = v3 ? 'api v3' : `authMode ${mode}`;
  for (const field of required) {
    if (c[field] === undefined)
      throw new InvalidInput('invalid_credential', `${field} is required with ${modeName}`, field);
  }
  for (const field of FIELDS) {
    if (c[field] !== undefined && !required.includes(field) && !optional.includes(field)) {
      throw new InvalidInput('invalid_credential', `${field} does not apply to ${modeName}`, field);
    }
  }
  const account = c.serviceAccount;
  const key = account && parsePrivateKey(account.private_key, 'serviceAccount.private_key', 'rsa');
  await checkUrl(c.endpoint, 'endpoint', settings);
  await checkUrl(c.tokenUrl, 'tokenUrl', settings);
  await checkUrl(c.hmsTokenUrl, 'hmsTokenUrl', settings);
  return {
    ...(v3 ? { api: 'v3' } : { authMode: mode }),
    appId: c.appId,
    ...(account && key
      ? {
          projectId: account.project_id,
          serviceAccountKeyId: account.key_id,
          subAccount: account.sub_account,
          privateKeyFingerprint: keyFingerprint(key),
        }
      : {}),
    ...(c.clientId ? { clientId: c.clientId } : {}),
    ...(c.clientSecret ? { clientSecretFingerprint: fingerprint(c.clientSecret) } : {}),
    ...(mode === 'direct' ? {} : { scope: c.scope ?? HMS_SCOPE }),
    ...(c.endpoint ? { endpoint: c.endpoint } : {}),
    ...(c.tokenUrl ? { tokenUrl: c.tokenUrl } : {}),
    ...(c.hmsTokenUrl ? { hmsTokenUrl: c.hmsTokenUrl } : {}),
    ...(c.receipts
      ? {
          receipts: {
            receiptId: c.receipts.receiptId,
            username: c.receipts.username,
            keyFingerprint: fingerprint(c.receipts.key),
          },
        }
      : {}),
  };
}
