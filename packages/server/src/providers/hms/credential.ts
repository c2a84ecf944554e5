import { type Static, Type } from 'typebox';
import { checkUrl, fingerprint } from '../credential-kit.js';

export const HmsCredentialSchema = Type.Object(
  {
    type: Type.Literal('hms'),
    appId: Type.String({ minLength: 1, maxLength: 64, pattern: '^[0-9A-Za-z._-]+$', description: 'Huawei app id' }),
    clientSecret: Type.String({ minLength: 1, maxLength: 512, description: 'the app secret from AppGallery Connect' }),
    endpoint: Type.Optional(Type.String({ maxLength: 2048, description: 'Push Kit base URL override (emulators)' })),
    tokenUrl: Type.Optional(
      Type.String({ maxLength: 2048, description: 'Huawei OAuth token URL override (emulators)' }),
    ),
  },
  { additionalProperties: false, title: 'HMS credential' },
);
export type HmsCredential = Static<typeof HmsCredentialSchema>;

export function checkHmsCredential(c: HmsCredential): Record<string, unknown> {
  checkUrl(c.endpoint, 'endpoint');
  checkUrl(c.tokenUrl, 'tokenUrl');
  return {
    appId: c.appId,
    clientSecretFingerprint: fingerprint(c.clientSecret),
    ...(c.endpoint ? { endpoint: c.endpoint } : {}),
    ...(c.tokenUrl ? { tokenUrl: c.tokenUrl } : {}),
  };
}
