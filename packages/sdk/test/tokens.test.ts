import { describe, expect, it } from 'vitest';
import { mintAccessToken, signingKey } from '../src/index.js';

// The test vector of docs/access-tokens.md: Sinch's reference data.
const APP_KEY = 'a32e5a8d-f7d8-411c-9645-9038e8dd051d';
const APP_SECRET = 'ax8hTTQJF0OPXL32r1LHMA==';
const NOW = Date.parse('2018-01-02T03:04:05Z');
/** Sinch's reference token with its claims in insertion order, the order this minter writes them in. */
const REFERENCE_TOKEN =
  'eyJhbGciOiJIUzI1NiIsImtpZCI6ImhrZGZ2MS0yMDE4MDEwMiJ9.eyJpc3MiOiIvL3J0Yy5zaW5jaC5jb20vYXBwbGljYXRpb25zL2EzMmU1YThkLWY3ZDgtNDExYy05NjQ1LTkwMzhlOGRkMDUxZCIsInN1YiI6Ii8vcnRjLnNpbmNoLmNvbS9hcHBsaWNhdGlvbnMvYTMyZTVhOGQtZjdkOC00MTFjLTk2NDUtOTAzOGU4ZGQwNTFkL3VzZXJzL2ZvbyIsImlhdCI6MTUxNDg2MjI0NSwiZXhwIjoxNTE0ODYyODQ1LCJub25jZSI6IjZiNDM4YmRhLTJkNWMtNGU4Yy05MmIwLTM5ZjIwYTk0YjM0ZSJ9.EUltTTD4fxhkwCgLgj6qSQXKawpwQ952Ywm3OwQSARo';

const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

describe('offline user tokens (hkdfv1)', () => {
  it("derives the test vector's signing key", () => {
    expect(signingKey(APP_SECRET, '20180102').toString('hex')).toBe(
      '0198f912c4bc4bbc1bd3ac6be63111a8f1ecada42ddf0ffe221e447eb862b014',
    );
  });

  it('mints the reference token byte for byte from the reference data', () => {
    const minted = mintAccessToken({
      appKey: APP_KEY,
      appSecret: APP_SECRET,
      userId: 'foo',
      namespace: 'rtc.sinch.com',
      ttlSeconds: 600,
      now: NOW,
      nonce: '6b438bda-2d5c-4e8c-92b0-39f20a94b34e',
    });
    expect(minted).toEqual({ accessToken: REFERENCE_TOKEN, expiresAt: 1514862845000 });
  });

  it('dates the kid by the UTC day of iat and writes the callpush claims', () => {
    const now = Date.parse('2026-03-01T23:59:59.900Z');
    const { accessToken } = mintAccessToken({ appKey: 'k', appSecret: APP_SECRET, userId: 'bob', now });
    const [header, claims] = accessToken.split('.');
    expect(decode(header!)).toEqual({ alg: 'HS256', kid: 'hkdfv1-20260301' });
    expect(decode(claims!)).toMatchObject({
      iss: '//callpush/applications/k',
      sub: '//callpush/applications/k/users/bob',
      iat: Math.floor(now / 1000),
      exp: Math.floor(now / 1000) + 3600,
    });
    expect(decode(claims!).nonce).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses what the gateway would refuse to accept', () => {
    const base = { appKey: 'k', appSecret: APP_SECRET };
    expect(() => mintAccessToken({ ...base, userId: 'a/b' })).toThrow(RangeError);
    expect(() => mintAccessToken({ ...base, userId: '' })).toThrow(RangeError);
    expect(() => mintAccessToken({ ...base, userId: 'bob', ttlSeconds: 0 })).toThrow(RangeError);
    expect(() => mintAccessToken({ ...base, userId: 'bob', ttlSeconds: 1.5 })).toThrow(RangeError);
  });
});
