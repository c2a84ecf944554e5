import { generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { parseVapidAuthorization, verifyVapid } from '../src/webpush/index.js';
import { tamperSignature } from './webpush-client.js';

/** RFC 8292 §2.4 / §3.2 example (expired in 2016: the clock is injected). */
const RFC = {
  t: 'eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzI1NiJ9.eyJhdWQiOiJodHRwczovL3B1c2guZXhhbXBsZS5uZXQiLCJleHAiOjE0NTM1MjM3NjgsInN1YiI6Im1haWx0bzpwdXNoQGV4YW1wbGUuY29tIn0.i3CYb7t4xfxCDquptFOepC9GAu_HLGkMlMuCGSK2rpiUfnK9ojFwDXb1JrErtmysazNjjvW2L9OkSSHzvoD1oA',
  k: 'BA1Hxzyi1RUM1b5wjxsn7nGxAszw2u61m164i3MrAIxHF6YK5h4SDYic-dRuU_RCPCfA5aq9ojSwk5Y2EmClBPs',
  audience: 'https://push.example.net',
  exp: 1453523768,
};
const HOUR = 3_600_000;
const beforeExp = RFC.exp * 1000 - HOUR;

/** A fresh VAPID key pair and a signer for claims, like an application server has. */
function vapidKeys() {
  const { privateKey, publicKey: key } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { x, y } = key.export({ format: 'jwk' });
  // The uncompressed point, as the `k` parameter carries it (JWK coordinates are always 32 bytes each).
  const publicKey = Buffer.concat([Buffer.from([4]), Buffer.from(x!, 'base64url'), Buffer.from(y!, 'base64url')]);
  const sign = (claims: Record<string, unknown>) =>
    new SignJWT(claims).setProtectedHeader({ typ: 'JWT', alg: 'ES256' }).sign(privateKey);
  return { publicKey, sign };
}

describe('VAPID (RFC 8292)', () => {
  it('parses `vapid t=…, k=…` with any spacing, quoted values and unknown parameters', () => {
    for (const header of [
      `vapid t=${RFC.t}, k=${RFC.k}`,
      `Vapid  k=${RFC.k} ,t=${RFC.t}`,
      `vapid t="${RFC.t}",k="${RFC.k}", x=1`,
    ]) {
      expect(parseVapidAuthorization(header)).toEqual({ token: RFC.t, publicKey: Buffer.from(RFC.k, 'base64url') });
    }
    expect(parseVapidAuthorization(undefined)).toBeUndefined();
    expect(parseVapidAuthorization(`WebPush ${RFC.t}`)).toBeUndefined();
    expect(() => parseVapidAuthorization(`vapid t=${RFC.t}`)).toThrow(expect.objectContaining({ status: 403 }));
  });

  it('accepts the RFC 8292 example before its exp and refuses it after', async () => {
    const credentials = parseVapidAuthorization(`vapid t=${RFC.t}, k=${RFC.k}`)!;
    expect(await verifyVapid(credentials, RFC.audience, beforeExp)).toEqual({
      aud: RFC.audience,
      exp: RFC.exp,
      sub: 'mailto:push@example.com',
    });
    await expect(verifyVapid(credentials, RFC.audience, RFC.exp * 1000)).rejects.toMatchObject({
      status: 403,
      reason: 'vapid_expired',
    });
  });

  it.each<[string, string, string, string]>([
    ['another audience', `vapid t=${RFC.t}, k=${RFC.k}`, 'https://push.example.org', 'vapid_audience'],
    ['a tampered signature', tamperSignature(`vapid t=${RFC.t}, k=${RFC.k}`), RFC.audience, 'vapid_signature'],
    [
      'a k that did not sign',
      `vapid t=${RFC.t}, k=${vapidKeys().publicKey.toString('base64url')}`,
      RFC.audience,
      'vapid_signature',
    ],
    [
      'a k off the curve',
      `vapid t=${RFC.t}, k=${Buffer.alloc(65, 4).toString('base64url')}`,
      RFC.audience,
      'vapid_malformed',
    ],
  ])('refuses %s with 403', async (_name, header, audience, reason) => {
    await expect(verifyVapid(parseVapidAuthorization(header)!, audience, beforeExp)).rejects.toMatchObject({
      status: 403,
      reason,
    });
  });

  it('bounds exp to 24 hours ahead and checks sub only when present', async () => {
    const now = Date.now();
    const { publicKey, sign } = vapidKeys();
    const check = async (claims: Record<string, unknown>) =>
      verifyVapid({ token: await sign(claims), publicKey }, RFC.audience, now);
    const exp = Math.floor(now / 1000);
    await expect(check({ aud: RFC.audience, exp: exp + 24 * 3600 })).resolves.toMatchObject({ aud: RFC.audience });
    await expect(check({ aud: RFC.audience, exp: exp + 24 * 3600 + 2 })).rejects.toMatchObject({
      reason: 'vapid_expiry_too_far',
    });
    await expect(check({ aud: RFC.audience })).rejects.toMatchObject({ reason: 'vapid_expired' });
    await expect(
      check({ aud: RFC.audience, exp: exp + 60, sub: 'https://example.com/contact' }),
    ).resolves.toBeDefined();
    await expect(check({ aud: RFC.audience, exp: exp + 60, sub: 'push@example.com' })).rejects.toMatchObject({
      reason: 'vapid_subject',
    });
  });
});
