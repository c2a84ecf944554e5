import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvalidInput } from '../../../../src/kernel/index.js';
import { checkHmsCredential, type HmsCredential } from '../../../../src/providers/hms/credential.js';

const pem = (type: 'rsa' | 'ec') =>
  (type === 'rsa'
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  ).privateKey
    .export({ type: 'pkcs8', format: 'pem' })
    .toString();

const serviceAccount = { project_id: '388421841222199046', key_id: 'k1', private_key: pem('rsa'), sub_account: '1234' };
const v3 = (overrides: Partial<HmsCredential> = {}): HmsCredential => ({
  type: 'hms',
  api: 'v3',
  appId: '106123456',
  serviceAccount,
  ...overrides,
});

const refusal = (c: HmsCredential) =>
  checkHmsCredential(c, {}).then(
    () => undefined,
    (err: unknown) => (err instanceof InvalidInput ? err.field : err),
  );

describe('HMS credential, api v3 (docs/providers.md#hms-v3)', () => {
  it('shows the project, key id and sub-account, and a fingerprint of the key, never the key', async () => {
    const view = await checkHmsCredential(v3(), {});
    expect(view).toEqual({
      api: 'v3',
      appId: '106123456',
      projectId: serviceAccount.project_id,
      serviceAccountKeyId: 'k1',
      subAccount: '1234',
      privateKeyFingerprint: expect.any(String),
    });
  });

  it.each([
    ['without a service account', v3({ serviceAccount: undefined }), 'serviceAccount'],
    [
      'with an EC key',
      v3({ serviceAccount: { ...serviceAccount, private_key: pem('ec') } }),
      'serviceAccount.private_key',
    ],
    ['with an OAuth mode', v3({ authMode: 'direct' }), 'authMode'],
    ['with the v1 app secret', v3({ clientSecret: 's' }), 'clientSecret'],
    ['v1 with a service account', v3({ api: 'v1', clientSecret: 's' }), 'serviceAccount'],
  ])('refuses one %s, naming the field', async (_name, credential, field) => {
    expect(await refusal(credential)).toBe(field);
  });
});
