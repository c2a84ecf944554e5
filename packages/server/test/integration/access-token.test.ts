import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  deriveSigningKey,
  mintAccessToken,
  type TokenSettings,
  verifyAccessToken,
} from '../../src/infra/tokens/index.js';

// Sinch's published reference data and tokens (docs/access-tokens.md#test-vector).
const APP_KEY = 'a32e5a8d-f7d8-411c-9645-9038e8dd051d';
const APP_SECRET = 'ax8hTTQJF0OPXL32r1LHMA==';
const NOW = Date.parse('2018-01-02T03:04:05Z');
const REFERENCE_TOKENS = {
  '8.3 sorted keys':
    'eyJhbGciOiJIUzI1NiIsImtpZCI6ImhrZGZ2MS0yMDE4MDEwMiJ9.eyJleHAiOjE1MTQ4NjI4NDUsImlhdCI6MTUxNDg2MjI0NSwiaXNzIjoiLy9ydGMuc2luY2guY29tL2FwcGxpY2F0aW9ucy9hMzJlNWE4ZC1mN2Q4LTQxMWMtOTY0NS05MDM4ZThkZDA1MWQiLCJub25jZSI6IjZiNDM4YmRhLTJkNWMtNGU4Yy05MmIwLTM5ZjIwYTk0YjM0ZSIsInN1YiI6Ii8vcnRjLnNpbmNoLmNvbS9hcHBsaWNhdGlvbnMvYTMyZTVhOGQtZjdkOC00MTFjLTk2NDUtOTAzOGU4ZGQwNTFkL3VzZXJzL2ZvbyJ9.10N-QAvRK0-dacox5X5YusK7C0AWb-kZLiNNTKLQw8I',
  '8.4 instance exp':
    'eyJhbGciOiJIUzI1NiIsImtpZCI6ImhrZGZ2MS0yMDE4MDEwMiJ9.eyJleHAiOjE1MTQ4NjI4NDUsImlhdCI6MTUxNDg2MjI0NSwiaXNzIjoiLy9ydGMuc2luY2guY29tL2FwcGxpY2F0aW9ucy9hMzJlNWE4ZC1mN2Q4LTQxMWMtOTY0NS05MDM4ZThkZDA1MWQiLCJub25jZSI6IjZiNDM4YmRhLTJkNWMtNGU4Yy05MmIwLTM5ZjIwYTk0YjM0ZSIsInNpbmNoOnJ0YzppbnN0YW5jZTpleHAiOjE1MzA0MTQyNDUsInN1YiI6Ii8vcnRjLnNpbmNoLmNvbS9hcHBsaWNhdGlvbnMvYTMyZTVhOGQtZjdkOC00MTFjLTk2NDUtOTAzOGU4ZGQwNTFkL3VzZXJzL2ZvbyJ9.Z1KlXha3ubMWjMI2z949NkUHmekpe31z0fNx-XiMDuo',
  '8.5 insertion order':
    'eyJhbGciOiJIUzI1NiIsImtpZCI6ImhrZGZ2MS0yMDE4MDEwMiJ9.eyJpc3MiOiIvL3J0Yy5zaW5jaC5jb20vYXBwbGljYXRpb25zL2EzMmU1YThkLWY3ZDgtNDExYy05NjQ1LTkwMzhlOGRkMDUxZCIsInN1YiI6Ii8vcnRjLnNpbmNoLmNvbS9hcHBsaWNhdGlvbnMvYTMyZTVhOGQtZjdkOC00MTFjLTk2NDUtOTAzOGU4ZGQwNTFkL3VzZXJzL2ZvbyIsImlhdCI6MTUxNDg2MjI0NSwiZXhwIjoxNTE0ODYyODQ1LCJub25jZSI6IjZiNDM4YmRhLTJkNWMtNGU4Yy05MmIwLTM5ZjIwYTk0YjM0ZSJ9.EUltTTD4fxhkwCgLgj6qSQXKawpwQ952Ywm3OwQSARo',
  '8.7 with typ':
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImhrZGZ2MS0yMDE4MDEwMiJ9.eyJleHAiOjE1MTQ4NjI4NDUsImlhdCI6MTUxNDg2MjI0NSwiaXNzIjoiLy9ydGMuc2luY2guY29tL2FwcGxpY2F0aW9ucy9hMzJlNWE4ZC1mN2Q4LTQxMWMtOTY0NS05MDM4ZThkZDA1MWQiLCJub25jZSI6IjZiNDM4YmRhLTJkNWMtNGU4Yy05MmIwLTM5ZjIwYTk0YjM0ZSIsInN1YiI6Ii8vcnRjLnNpbmNoLmNvbS9hcHBsaWNhdGlvbnMvYTMyZTVhOGQtZjdkOC00MTFjLTk2NDUtOTAzOGU4ZGQwNTFkL3VzZXJzL2ZvbyJ9.2W9dvjmRDTGkM_C0OxEsjd6Oownnd5DlOIKu08GuYvA',
  '8.7 with typ and instance exp':
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImhrZGZ2MS0yMDE4MDEwMiJ9.eyJleHAiOjE1MTQ4NjI4NDUsImlhdCI6MTUxNDg2MjI0NSwiaXNzIjoiLy9ydGMuc2luY2guY29tL2FwcGxpY2F0aW9ucy9hMzJlNWE4ZC1mN2Q4LTQxMWMtOTY0NS05MDM4ZThkZDA1MWQiLCJub25jZSI6IjZiNDM4YmRhLTJkNWMtNGU4Yy05MmIwLTM5ZjIwYTk0YjM0ZSIsInNpbmNoOnJ0YzppbnN0YW5jZTpleHAiOjE1MzA0MTQyNDUsInN1YiI6Ii8vcnRjLnNpbmNoLmNvbS9hcHBsaWNhdGlvbnMvYTMyZTVhOGQtZjdkOC00MTFjLTk2NDUtOTAzOGU4ZGQwNTFkL3VzZXJzL2ZvbyJ9.zTUvY1FFPtcmMI2xH_dIN0v9fkQATqhC57SZfOMe0Eg',
};
const HMS_ASSERTION_8_7 =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImhrZGZ2MS0yMDE4MDEwMiJ9.eyJhdWQiOiJodHRwczovL2xvY2FsaG9zdDo4MDgwL3NpbmNoL3J0Yy9wdXNoL29hdXRoMi92MS9odWF3ZWktaG1zL3Rva2VuIiwiZXhwIjoxNTE0ODY1ODQ1LCJpYXQiOjE1MTQ4NjIyNDUsImlzcyI6Ii8vcnRjLnNpbmNoLmNvbS9hcHBsaWNhdGlvbnMvYTMyZTVhOGQtZjdkOC00MTFjLTk2NDUtOTAzOGU4ZGQwNTFkIiwibm9uY2UiOiI2YjQzOGJkYS0yZDVjLTRlOGMtOTJiMC0zOWYyMGE5NGIzNGUiLCJzY29wZSI6Imh0dHBzOi8vcHVzaC1hcGkuY2xvdWQuaHVhd2VpLmNvbSIsInN1YiI6ImEzMmU1YThkLWY3ZDgtNDExYy05NjQ1LTkwMzhlOGRkMDUxZCJ9.d9X2et_meNkRQ6DnmQf4a7SXvomIVgnu4Q066wEdo7Y';

const sinch: TokenSettings = { namespace: 'rtc.sinch.com', maxLifetimeSeconds: 86400, now: () => NOW };
const secretOf = async (key: string) => (key === APP_KEY ? APP_SECRET : undefined);

const b64url = (s: string | Buffer) => Buffer.from(s).toString('base64url');

/** Mints a token by hand (HMAC and base64url only), as an app backend without callpush code would. */
function handMinted(claims: Record<string, unknown>, kid: string, secret = APP_SECRET): string {
  const signingKey = createHmac('sha256', Buffer.from(secret, 'base64')).update(kid.slice('hkdfv1-'.length)).digest();
  const input = `${b64url(JSON.stringify({ alg: 'HS256', kid }))}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${createHmac('sha256', signingKey).update(input).digest('base64url')}`;
}

const iss = `//rtc.sinch.com/applications/${APP_KEY}`;
const baseClaims = { iss, sub: `${iss}/users/foo`, iat: 1514862245, exp: 1514862845, nonce: 'n' };

describe('user access tokens (the hkdfv1 scheme)', () => {
  it('derives the signing key of the reference vector', () => {
    const key = Buffer.from(deriveSigningKey(APP_SECRET, '20180102'));
    expect(key.toString('hex')).toBe('0198f912c4bc4bbc1bd3ac6be63111a8f1ecada42ddf0ffe221e447eb862b014');
    expect(key.toString('base64')).toBe('AZj5EsS8S7wb06xr5jERqPHsraQt3w/+Ih5EfrhisBQ=');
  });

  for (const [name, token] of Object.entries(REFERENCE_TOKENS)) {
    it(`accepts the Sinch reference token ${name}`, async () => {
      await expect(verifyAccessToken(sinch, token, secretOf)).resolves.toEqual({
        appKey: APP_KEY,
        userId: 'foo',
        issuedAt: 1514862245000,
        expiresAt: 1514862845000,
      });
    });
  }

  it('refuses the reference token under another secret, namespace or clock', async () => {
    const token = REFERENCE_TOKENS['8.3 sorted keys'];
    const other = randomBytes(16).toString('base64');
    await expect(verifyAccessToken(sinch, token, async () => other)).rejects.toMatchObject({
      code: 'token_invalid_signature',
    });
    await expect(verifyAccessToken({ ...sinch, namespace: 'callpush' }, token, secretOf)).rejects.toMatchObject({
      code: 'token_malformed',
    });
    await expect(verifyAccessToken({ ...sinch, now: () => NOW + 601_000 }, token, secretOf)).rejects.toMatchObject({
      code: 'token_expired',
    });
  });

  it('refuses an HMS client assertion used as a user token', async () => {
    await expect(verifyAccessToken(sinch, HMS_ASSERTION_8_7, secretOf)).rejects.toMatchObject({
      code: 'token_malformed',
    });
  });

  it('accepts a hand-minted token and refuses tampering, wrong kid and wrong date', async () => {
    await expect(verifyAccessToken(sinch, handMinted(baseClaims, 'hkdfv1-20180102'), secretOf)).resolves.toMatchObject({
      userId: 'foo',
    });
    const good = handMinted(baseClaims, 'hkdfv1-20180102');
    const [h, , s] = good.split('.');
    const tampered = `${h}.${b64url(JSON.stringify({ ...baseClaims, sub: `${iss}/users/mallory` }))}.${s}`;
    await expect(verifyAccessToken(sinch, tampered, secretOf)).rejects.toMatchObject({
      code: 'token_invalid_signature',
    });
    // Signed with the key of the kid's date, but iat lies on another day.
    await expect(verifyAccessToken(sinch, handMinted(baseClaims, 'hkdfv1-20180101'), secretOf)).rejects.toMatchObject({
      code: 'kid_date_mismatch',
    });
    for (const kid of ['hkdfv2-20180102', 'hkdfv1-2018012', 'hkdfv1-20181302']) {
      await expect(verifyAccessToken(sinch, handMinted(baseClaims, kid), secretOf)).rejects.toMatchObject({
        code: 'token_malformed',
      });
    }
    const long = { ...baseClaims, exp: baseClaims.iat + 86401 };
    await expect(verifyAccessToken(sinch, handMinted(long, 'hkdfv1-20180102'), secretOf)).rejects.toMatchObject({
      code: 'token_lifetime_exceeded',
    });
  });

  it('refuses garbage as malformed without throwing anything else', async () => {
    for (const token of ['', 'a.b', 'a.b.c', '...', `${b64url('{"alg":"none"}')}.${b64url('{}')}.`]) {
      await expect(verifyAccessToken(sinch, token, secretOf)).rejects.toMatchObject({ code: 'token_malformed' });
    }
  });

  it('refuses validly signed NumericDates outside the calendar as malformed, never a RangeError', async () => {
    // 9e15 s is past the last date a JavaScript Date can hold: the signature verifies, the date stamp must not throw.
    for (const claims of [
      { ...baseClaims, iat: 9e15, exp: 9e15 + 600 },
      { ...baseClaims, exp: 9e15 },
      { ...baseClaims, iat: -9e15 },
    ]) {
      await expect(verifyAccessToken(sinch, handMinted(claims, 'hkdfv1-20180102'), secretOf)).rejects.toMatchObject({
        code: 'token_malformed',
      });
    }
  });

  it('refuses a validly signed user id outside the id rule', async () => {
    for (const userId of ['a b', 'a/b', 'x'.repeat(129), 'caf\u00e9', 'a\nb']) {
      const claims = { ...baseClaims, sub: `${iss}/users/${userId}` };
      await expect(verifyAccessToken(sinch, handMinted(claims, 'hkdfv1-20180102'), secretOf)).rejects.toMatchObject({
        code: 'token_malformed',
      });
    }
    const longest = { ...baseClaims, sub: `${iss}/users/${'x'.repeat(128)}` };
    await expect(verifyAccessToken(sinch, handMinted(longest, 'hkdfv1-20180102'), secretOf)).resolves.toMatchObject({
      userId: 'x'.repeat(128),
    });
  });

  it('refuses a signature that is not canonical base64url, though it decodes to the right bytes', async () => {
    const good = handMinted(baseClaims, 'hkdfv1-20180102');
    const [h, p, s] = good.split('.') as [string, string, string];
    // 32 bytes take 43 characters whose last one carries 2 unused bits: setting them decodes to the same bytes.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(s.at(-1)!);
    const variants = [`${s.slice(0, -1)}${alphabet[last | 1]}`, `${s}=`, `${s.slice(0, 10)}+${s.slice(11)}`];
    expect(Buffer.from(variants[0]!, 'base64url')).toEqual(Buffer.from(s, 'base64url'));
    for (const sig of variants) {
      await expect(verifyAccessToken(sinch, `${h}.${p}.${sig}`, secretOf)).rejects.toMatchObject({
        code: 'token_malformed',
      });
    }
  });

  it('mints tokens it verifies, capped to the configured lifetime', async () => {
    const settings: TokenSettings = { namespace: 'callpush', maxLifetimeSeconds: 3600 };
    const minted = await mintAccessToken(settings, {
      appKey: APP_KEY,
      appSecret: APP_SECRET,
      userId: 'bob',
      ttlSeconds: 99999,
    });
    const verified = await verifyAccessToken(settings, minted.accessToken, secretOf);
    expect(verified.userId).toBe('bob');
    expect(verified.expiresAt - verified.issuedAt).toBe(3600_000);
    expect(minted.expiresAt).toBe(verified.expiresAt);
  });
});
