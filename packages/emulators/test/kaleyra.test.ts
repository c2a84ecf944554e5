import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KaleyraEmulator, startKaleyraEmulator } from '../src/index.js';

describe('Kaleyra credentials emulator', () => {
  let kaleyra: KaleyraEmulator;
  const post = (body: unknown, apikey = kaleyra.apiKey) =>
    fetch(`${kaleyra.baseUrl}/v2/sdk/credentials`, {
      method: 'POST',
      headers: { apikey, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    kaleyra = await startKaleyraEmulator();
  });
  afterAll(() => kaleyra.close());

  it('issues a JWT-shaped user token with its expiry, and records the request', async () => {
    const before = Date.now();
    const res = await post({ user_id: 'usr_999', expires_in: 3600 });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { access_token: string; expires_at: string; user_id: string };
    expect(body.user_id).toBe('usr_999');
    expect(body.access_token.split('.')).toHaveLength(3);
    const claims = JSON.parse(Buffer.from(body.access_token.split('.')[1] ?? '', 'base64url').toString());
    expect(claims).toMatchObject({ user: 'usr_999', iss: '@switchboard-core' });
    expect(Date.parse(body.expires_at) - before).toBeGreaterThan(3590_000);
    expect(kaleyra.requests().at(-1)).toMatchObject({
      userId: 'usr_999',
      expiresIn: 3600,
      accessToken: body.access_token,
    });
  });

  it('refuses a wrong API key and out-of-range lifetimes', async () => {
    const count = kaleyra.requests().length;
    expect((await post({ user_id: 'u' }, 'ak_test_wrong')).status).toBe(401);
    expect((await post({ user_id: 'u', expires_in: 60 })).status).toBe(400);
    expect((await post({ user_id: 'u', expires_in: 100_000 })).status).toBe(400);
    expect((await post({ expires_in: 3600 })).status).toBe(400);
    expect(kaleyra.requests()).toHaveLength(count);
  });
});
