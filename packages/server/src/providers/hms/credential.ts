import { type Static, Type } from 'typebox';
import { fingerprint } from '#infra/crypto';
import { InvalidInput } from '#kernel';
import type { EndpointSettings } from '../contract.js';
import { checkUrl } from '../kit/index.js';
import { HMS_SCOPE } from './delegation.js';

/**
 * An HMS credential in one of three auth modes (docs/huawei-oauth.md): `direct` holds the Huawei app secret;
 * `delegated-a` and `delegated-b` ask the app owner's authorization server for HMS access tokens instead.
 * Fields mean what the mode says; checkHmsCredential enforces which belong to which mode.
 */
export const HmsCredentialSchema = Type.Object(
  {
    type: Type.Literal('hms'),
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
  },
  { additionalProperties: false, title: 'HMS credential' },
);
export type HmsCredential = Static<typeof HmsCredentialSchema>;
export type HmsAuthMode = NonNullable<HmsCredential['authMode']>;

type Field = Exclude<keyof HmsCredential, 'type' | 'authMode' | 'appId' | 'endpoint'>;

/** Per mode, the fields it requires and those it may have; anything else is refused so no field is ignored. */
const MODE_FIELDS: Record<HmsAuthMode, { required: Field[]; optional: Field[] }> = {
  direct: { required: ['clientSecret'], optional: ['tokenUrl'] },
  'delegated-a': { required: ['tokenUrl', 'clientId', 'clientSecret', 'hmsTokenUrl'], optional: ['scope'] },
  'delegated-b': { required: ['tokenUrl'], optional: ['scope'] },
};

export async function checkHmsCredential(
  c: HmsCredential,
  settings: EndpointSettings,
): Promise<Record<string, unknown>> {
  const mode = c.authMode ?? 'direct';
  const { required, optional } = MODE_FIELDS[mode];
  for (const field of required) {
    if (c[field] === undefined)
      throw new InvalidInput('invalid_credential', `${field} is required with authMode ${mode}`, field);
  }
  for (const field of ['clientSecret', 'clientId', 'scope', 'tokenUrl', 'hmsTokenUrl'] as const) {
    if (c[field] !== undefined && !required.includes(field) && !optional.includes(field)) {
      throw new InvalidInput('invalid_credential', `${field} does not apply to authMode ${mode}`, field);
    }
  }
  await checkUrl(c.endpoint, 'endpoint', settings);
  await checkUrl(c.tokenUrl, 'tokenUrl', settings);
  await checkUrl(c.hmsTokenUrl, 'hmsTokenUrl', settings);
  return {
    authMode: mode,
    appId: c.appId,
    ...(c.clientId ? { clientId: c.clientId } : {}),
    ...(c.clientSecret ? { clientSecretFingerprint: fingerprint(c.clientSecret) } : {}),
    ...(mode === 'direct' ? {} : { scope: c.scope ?? HMS_SCOPE }),
    ...(c.endpoint ? { endpoint: c.endpoint } : {}),
    ...(c.tokenUrl ? { tokenUrl: c.tokenUrl } : {}),
    ...(c.hmsTokenUrl ? { hmsTokenUrl: c.hmsTokenUrl } : {}),
  };
}
