import { type Static, Type } from 'typebox';
import { ApnsCredentialSchema, checkApnsCredential } from './apns/credential.js';
import { checkFcmCredential, FcmCredentialSchema } from './fcm/credential.js';
import { checkHmsCredential, HmsCredentialSchema } from './hms/credential.js';
import { checkWebPushCredential, WebPushCredentialSchema } from './webpush/credential.js';

/** Request body of `PUT /v1/apps/{appKey}/providers/{name}`: one of the credential types, told apart by `type`. */
const CREDENTIAL_UNION = Type.Union([
  FcmCredentialSchema,
  HmsCredentialSchema,
  ApnsCredentialSchema,
  WebPushCredentialSchema,
]);
export type ProviderCredential = Static<typeof CREDENTIAL_UNION>;
// oneOf with a discriminator, so a validation error names the field inside the chosen type, not "anyOf failed".
export const ProviderCredentialSchema = Type.Unsafe<ProviderCredential>({
  type: 'object',
  required: ['type'],
  discriminator: { propertyName: 'type' },
  oneOf: CREDENTIAL_UNION.anyOf,
});
export type ProviderType = ProviderCredential['type'];
export const PROVIDER_TYPES = ['fcm', 'hms', 'apns', 'webpush'] as const satisfies readonly ProviderType[];

/**
 * Checks what a schema cannot (keys parse, key pairs match, URLs) and returns the public view: the
 * non-secret fields and fingerprints of the secret ones.
 */
export function checkCredential(c: ProviderCredential): Record<string, unknown> {
  switch (c.type) {
    case 'fcm':
      return checkFcmCredential(c);
    case 'hms':
      return checkHmsCredential(c);
    case 'apns':
      return checkApnsCredential(c);
    case 'webpush':
      return checkWebPushCredential(c);
  }
}
