import { Type } from 'typebox';
import { apns } from './apns/index.js';
import type {
  EndpointSettings,
  ProviderClient,
  ProviderClientOptions,
  ProviderModule,
  RegistrationChoices,
} from './contract.js';
import { fcm } from './fcm/index.js';
import { hms } from './hms/index.js';
import { webPush } from './webpush/index.js';

/** Every provider callpush speaks. Adding one is its folder and one entry here; the rest is derived. */
export const PROVIDERS = [fcm, hms, apns, webPush] as const;

type Module = (typeof PROVIDERS)[number];
/** One of the credential types, told apart by `type`. */
export type ProviderCredential = Module extends ProviderModule<infer C> ? C : never;
export type ProviderType = ProviderCredential['type'];
export type CredentialOf<T extends ProviderType> = Extract<ProviderCredential, { type: T }>;
export const PROVIDER_TYPES: readonly ProviderType[] = PROVIDERS.map((m) => m.type);

const BY_TYPE = new Map<string, ProviderModule<ProviderCredential>>(PROVIDERS.map((m) => [m.type, m]));

/** The module of a type; undefined for a type callpush does not know (a row written by a newer version). */
export function providerModule(type: string): ProviderModule<ProviderCredential> | undefined {
  return BY_TYPE.get(type);
}

/** Request body of `PUT /v1/apps/{appKey}/providers/{name}`. */
// oneOf with a discriminator, so a validation error names the field inside the chosen type, not "anyOf failed".
export const ProviderCredentialSchema = Type.Unsafe<ProviderCredential>({
  type: 'object',
  required: ['type'],
  discriminator: { propertyName: 'type' },
  oneOf: PROVIDERS.map((m) => m.credentialSchema),
});

/** The public view of a credential, after the checks a schema cannot make (rejects with InvalidInput). */
export function checkCredential(
  credential: ProviderCredential,
  settings: EndpointSettings,
): Promise<Record<string, unknown>> {
  return providerModule(credential.type)!.checkCredential(credential, settings);
}

/** A credential in, its client out. */
export function createProviderClient(credential: ProviderCredential, options: ProviderClientOptions): ProviderClient {
  return providerModule(credential.type)!.createClient(credential, options);
}

/**
 * Refuses a push token that cannot be right for `credential`, or choices of the registration it cannot serve
 * (InvalidInput naming the field).
 */
export async function checkPushToken(
  credential: ProviderCredential,
  token: string,
  settings: EndpointSettings,
  choices: RegistrationChoices = {},
): Promise<void> {
  await providerModule(credential.type)!.checkPushToken(token, credential, settings, choices);
}
