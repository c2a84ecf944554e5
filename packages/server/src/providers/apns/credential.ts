import { type Static, Type } from 'typebox';
import { keyFingerprint } from '#infra/crypto';
import type { EndpointSettings } from '../contract.js';
import { checkUrl, parsePrivateKey } from '../kit/index.js';

export const ApnsCredentialSchema = Type.Object(
  {
    type: Type.Literal('apns'),
    teamId: Type.String({ pattern: '^[A-Z0-9]{10}$', description: 'Apple developer team id' }),
    keyId: Type.String({ pattern: '^[A-Z0-9]{10}$', description: 'id of the APNs auth key (.p8)' }),
    privateKey: Type.String({ minLength: 1, maxLength: 8192, description: 'the .p8 file contents (PEM)' }),
    topic: Type.String({ minLength: 1, maxLength: 255, description: 'the app bundle id' }),
    environment: Type.Union([Type.Literal('production'), Type.Literal('sandbox')]),
    endpoint: Type.Optional(Type.String({ maxLength: 2048, description: 'APNs base URL override (emulators)' })),
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
  return {
    teamId: c.teamId,
    keyId: c.keyId,
    topic: c.topic,
    environment: c.environment,
    privateKeyFingerprint: keyFingerprint(key),
    ...(c.endpoint ? { endpoint: c.endpoint } : {}),
  };
}
