import { type Static, Type } from 'typebox';
import { keyFingerprint } from '#infra/crypto';
import type { ApnsEnvironment, EndpointSettings } from '../contract.js';
import { checkUrl, parsePrivateKey } from '../kit/index.js';

const EndpointUrl = Type.String({ maxLength: 2048 });

export const ApnsCredentialSchema = Type.Object(
  {
    type: Type.Literal('apns'),
    teamId: Type.String({ pattern: '^[A-Z0-9]{10}$', description: 'Apple developer team id' }),
    keyId: Type.String({ pattern: '^[A-Z0-9]{10}$', description: 'id of the APNs auth key (.p8)' }),
    privateKey: Type.String({ minLength: 1, maxLength: 8192, description: 'the .p8 file contents (PEM)' }),
    topic: Type.String({ minLength: 1, maxLength: 255, description: 'the app bundle id' }),
    environment: Type.Union([Type.Literal('production'), Type.Literal('sandbox')], {
      description: 'the gateway of registrations that name no environment of their own',
    }),
    endpoint: Type.Optional(
      Type.String({
        maxLength: 2048,
        description: "APNs base URL override of the credential's environment (emulators)",
      }),
    ),
    endpoints: Type.Optional(
      Type.Object(
        { production: Type.Optional(EndpointUrl), sandbox: Type.Optional(EndpointUrl) },
        {
          additionalProperties: false,
          description: 'APNs base URL override per environment (emulators); wins over endpoint',
        },
      ),
    ),
  },
  { additionalProperties: false, title: 'APNs credential' },
);
export type ApnsCredential = Static<typeof ApnsCredentialSchema>;

export async function checkApnsCredential(
  c: ApnsCredential,
  settings: EndpointSettings,
): Promise<Record<string, unknown>> {
  const key = parsePrivateKey(c.privateKey, 'privateKey', 'ec', 'prime256v1');
  await checkUrl(c.endpoint, 'endpoint', settings);
  for (const environment of ENVIRONMENTS) {
    await checkUrl(c.endpoints?.[environment], `endpoints.${environment}`, settings);
  }
  return {
    teamId: c.teamId,
    keyId: c.keyId,
    topic: c.topic,
    environment: c.environment,
    privateKeyFingerprint: keyFingerprint(key),
    ...(c.endpoint ? { endpoint: c.endpoint } : {}),
    ...(c.endpoints ? { endpoints: c.endpoints } : {}),
  };
}

const ENVIRONMENTS = ['production', 'sandbox'] as const satisfies readonly ApnsEnvironment[];

const APNS_HOSTS: Record<ApnsEnvironment, string> = {
  production: 'https://api.push.apple.com',
  sandbox: 'https://api.sandbox.push.apple.com',
};

/**
 * The base URL of one environment's gateway: Apple's host unless overridden (an emulator), `endpoint` being the
 * override of the credential's own environment.
 */
export function gatewayOf(c: ApnsCredential, environment: ApnsEnvironment): string {
  const own = environment === c.environment ? c.endpoint : undefined;
  return c.endpoints?.[environment] ?? own ?? APNS_HOSTS[environment];
}
