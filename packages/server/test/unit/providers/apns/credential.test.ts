import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvalidInput } from '../../../../src/kernel/index.js';
import { type ApnsCredential, checkApnsCredential } from '../../../../src/providers/apns/credential.js';

function credential(overrides: Partial<ApnsCredential> = {}): ApnsCredential {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    type: 'apns',
    teamId: 'ABCDE12345',
    keyId: 'KEY1234567',
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    topic: 'com.example.calls',
    environment: 'sandbox',
    ...overrides,
  };
}

describe('APNs credential: a host override per environment (docs/providers.md#apns-environments)', () => {
  it('shows the overrides in the public view', async () => {
    const endpoints = { sandbox: 'https://sandbox.example', production: 'https://production.example' };
    expect(await checkApnsCredential(credential({ endpoints }), {})).toMatchObject({ endpoints });
  });

  it('puts each override under the endpoint policy, naming its environment', async () => {
    const err = await checkApnsCredential(credential({ endpoints: { production: 'http://127.0.0.1:8093' } }), {}).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InvalidInput);
    expect((err as InvalidInput).field).toBe('endpoints.production');
    const allowed = credential({ endpoints: { production: 'http://127.0.0.1:8093' } });
    expect(await checkApnsCredential(allowed, { allowPrivateEndpoints: true })).toHaveProperty('endpoints');
  });
});
