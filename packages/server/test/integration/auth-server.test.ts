import { createHmac, randomBytes } from 'node:crypto';
import { type HmsEmulator, startHmsEmulator } from '@callpush/emulators';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAuthServerConfig } from '../../src/edges/auth-server/config.js';
import { buildAuthServer } from '../../src/edges/auth-server/server.js';
import { deriveSigningKey, kidFor, utcDateStamp } from '../../src/infra/tokens/signing-key.js';
import { signClientAssertion } from '../../src/providers/hms/assertion.js';

/** The owner's auth-server: Sinch's reference flow-B assertions, RFC 6749 errors, and a fuzz of flow B. */

const APP_KEY = 'a32e5a8d-f7d8-411c-9645-9038e8dd051d';
const APP_SECRET = 'ax8hTTQJF0OPXL32r1LHMA==';
const NOW = Date.parse('2018-01-02T03:04:05Z');
const AUDIENCE = 'https://localhost:8080/sinch/rtc/push/oauth2/v1/huawei-hms/token';
const PATH = '/oauth2/v1/huawei-hms/token';
const HMS_SCOPE = 'https://push-api.cloud.huawei.com';
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const REFERENCE =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImhrZGZ2MS0yMDE4MDEwMiIsInNpbmNoOnJ0YzphcHBsaWNhdGlvbl9rZXkiOiJhMzJlNWE4ZC1mN2Q4LTQxMWMtOTY0NS05MDM4ZThkZDA1MWQifQ.eyJhdWQiOiJodHRwczovL2xvY2FsaG9zdDo4MDgwL3NpbmNoL3J0Yy9wdXNoL29hdXRoMi92MS9odWF3ZWktaG1zL3Rva2VuIiwiZXhwIjoxNTE0ODY1ODQ1LCJpYXQiOjE1MTQ4NjIyNDUsImlzcyI6Ii8vcnRjLnNpbmNoLmNvbS9hcHBsaWNhdGlvbnMvYTMyZTVhOGQtZjdkOC00MTFjLTk2NDUtOTAzOGU4ZGQwNTFkIiwibm9uY2UiOiI2YjQzOGJkYS0yZDVjLTRlOGMtOTJiMC0zOWYyMGE5NGIzNGUiLCJzY29wZSI6Imh0dHBzOi8vcHVzaC1hcGkuY2xvdWQuaHVhd2VpLmNvbSIsInNpbmNoOnJ0YzphcHBsaWNhdGlvbl9rZXkiOiJhMzJlNWE4ZC1mN2Q4LTQxMWMtOTY0NS05MDM4ZThkZDA1MWQiLCJzdWIiOiIxMjM0NTY3ODkifQ.xOoYQZZ9W1EZE96BdsRbxzqIPdkVhXhAO5XE9ZD5WI8';
const HISTORICAL =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImhrZGZ2MS0yMDE4MDEwMiJ9.eyJhdWQiOiJodHRwczovL2xvY2FsaG9zdDo4MDgwL3NpbmNoL3J0Yy9wdXNoL29hdXRoMi92MS9odWF3ZWktaG1zL3Rva2VuIiwiZXhwIjoxNTE0ODY1ODQ1LCJpYXQiOjE1MTQ4NjIyNDUsImlzcyI6Ii8vcnRjLnNpbmNoLmNvbS9hcHBsaWNhdGlvbnMvYTMyZTVhOGQtZjdkOC00MTFjLTk2NDUtOTAzOGU4ZGQwNTFkIiwibm9uY2UiOiI2YjQzOGJkYS0yZDVjLTRlOGMtOTJiMC0zOWYyMGE5NGIzNGUiLCJzY29wZSI6Imh0dHBzOi8vcHVzaC1hcGkuY2xvdWQuaHVhd2VpLmNvbSIsInN1YiI6ImEzMmU1YThkLWY3ZDgtNDExYy05NjQ1LTkwMzhlOGRkMDUxZCJ9.d9X2et_meNkRQ6DnmQf4a7SXvomIVgnu4Q066wEdo7Y';

let hms: HmsEmulator;
beforeAll(async () => {
  hms = await startHmsEmulator({ appId: '123456789' });
});
afterAll(() => hms.close());

/** An auth-server in Sinch's namespace at the vectors' clock, with `secret` for the reference app key. */
async function sinchServer(secret = APP_SECRET, now = () => NOW): Promise<FastifyInstance> {
  const config = parseAuthServerConfig({
    publicTokenUrl: AUDIENCE,
    namespace: 'rtc.sinch.com',
    claimPrefix: 'sinch:rtc:',
    apps: { [APP_KEY]: secret },
    clients: { 'my-client-id': 'my-client-secret' },
    hms: { tokenUrl: hms.tokenUrl, apps: { [hms.appId]: hms.clientSecret } },
  });
  const app = buildAuthServer(config, { now });
  await app.ready();
  return app;
}

function flowB(app: FastifyInstance, assertion: string, extra: Record<string, string> = {}) {
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    scope: HMS_SCOPE,
    client_assertion_type: ASSERTION_TYPE,
    client_assertion: assertion,
    ...extra,
  });
  return app.inject({
    method: 'POST',
    url: PATH,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: form.toString(),
  });
}

describe('flow B: the reference assertions', () => {
  it('accepts the reference assertion at its clock time and answers an HMS token, once', async () => {
    const app = await sinchServer();
    const res = await flowB(app, REFERENCE);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.json()).toEqual({
      access_token: expect.any(String),
      expires_in: expect.any(Number),
      token_type: 'Bearer',
    });
    // The same nonce again is a replay.
    const replay = await flowB(app, REFERENCE);
    expect([replay.statusCode, replay.json().error]).toEqual([400, 'invalid_client']);
    expect(replay.json().error_description).toMatch(/nonce/);
    await app.close();
  });

  it('refuses it under any other secret, an hour later, and the historical reference assertion', async () => {
    for (const app of [
      await sinchServer(randomBytes(32).toString('base64')),
      await sinchServer(APP_SECRET, () => NOW + 3600_000 + 61_000),
    ]) {
      const res = await flowB(app, REFERENCE);
      expect([res.statusCode, res.json().error]).toEqual([400, 'invalid_client']);
      expect(res.headers['cache-control']).toBe('no-store');
      await app.close();
    }
    const app = await sinchServer();
    const res = await flowB(app, HISTORICAL);
    expect([res.statusCode, res.json()]).toEqual([
      400,
      { error: 'invalid_client', error_description: 'header sinch:rtc:application_key is missing' },
    ]);
    await app.close();
  });
});

const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** An assertion with the given header and claims, signed (HS256) with the reference app's key of `date`. */
function forge(header: Record<string, unknown>, claims: unknown, date = utcDateStamp(NOW / 1000)): string {
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${createHmac('sha256', deriveSigningKey(APP_SECRET, date)).update(input).digest('base64url')}`;
}

describe('flow B: malformed and hostile assertions', () => {
  const iat = NOW / 1000;
  const header = { alg: 'HS256', typ: 'JWT', kid: kidFor(iat), 'sinch:rtc:application_key': APP_KEY };
  const claims = {
    aud: AUDIENCE,
    exp: iat + 3600,
    iat,
    iss: `//rtc.sinch.com/applications/${APP_KEY}`,
    scope: HMS_SCOPE,
    'sinch:rtc:application_key': APP_KEY,
    sub: '123456789',
  };
  const nonce = () => randomBytes(8).toString('hex');
  const without = (o: Record<string, unknown>, key: string) =>
    Object.fromEntries(Object.entries(o).filter(([k]) => k !== key));

  it('answers only 4xx OAuth errors, never a 500 or a token', async () => {
    const app = await sinchServer();
    const good = forge(header, { ...claims, nonce: nonce() });
    const [h, p, s] = good.split('.') as [string, string, string];
    const cases: string[] = [
      '',
      'a.b',
      'a.b.c.d',
      '!!!.@@@.###',
      `${h}.${p}`,
      `${h}.${p}.`,
      `${h}.${p}.${s.slice(0, -2)}`,
      `${h}.${p}x.${s}`,
      `${b64('not json')}.${p}.${s}`,
      `${b64([1, 2])}.${p}.${s}`,
      `${b64(null)}.${p}.${s}`,
      `${b64({ ...header, alg: 'none' })}.${p}.`,
      `${b64({ ...header, alg: 'RS256' })}.${p}.${s}`,
      `${b64({ ...header, alg: 'hs256' })}.${p}.${s}`,
      forge({ ...header, crit: ['exp'] }, { ...claims, nonce: nonce() }),
      forge({ ...header, pad: 'x'.repeat(5000) }, { ...claims, nonce: nonce() }),
      forge({ ...header, kid: 'hkdfv2-20180102' }, { ...claims, nonce: nonce() }),
      forge({ ...header, kid: 'hkdfv1-20180231' }, { ...claims, nonce: nonce() }),
      forge({ ...header, kid: 7 }, { ...claims, nonce: nonce() }),
      forge({ ...header, 'sinch:rtc:application_key': 'unknown' }, { ...claims, nonce: nonce() }),
      forge({ ...header, 'sinch:rtc:application_key': '__proto__' }, { ...claims, nonce: nonce() }),
      forge({ ...header, 'sinch:rtc:application_key': 42 }, { ...claims, nonce: nonce() }),
      forge(without(header, 'sinch:rtc:application_key'), { ...claims, nonce: nonce() }),
      forge({ ...header, kid: 'hkdfv1-20180103' }, { ...claims, nonce: nonce() }, '20180103'),
      forge(header, 'a string payload'),
      forge(header, [claims]),
      ...['iss', 'sub', 'aud', 'exp', 'iat', 'scope', 'sinch:rtc:application_key'].map((k) =>
        forge(header, { ...without(claims, k), nonce: nonce() }),
      ),
      forge(header, claims),
      forge(header, { ...claims, nonce: 12 }),
      forge(header, { ...claims, nonce: 'n'.repeat(300) }),
      forge(header, { ...claims, exp: String(claims.exp), nonce: nonce() }),
      forge(header, { ...claims, iat: null, nonce: nonce() }),
      forge(header, { ...claims, sub: 123456789, nonce: nonce() }),
      forge(header, { ...claims, aud: 'https://elsewhere.example/token', nonce: nonce() }),
      forge(header, { ...claims, aud: [], nonce: nonce() }),
      forge(header, { ...claims, scope: 'https://www.googleapis.com/auth/firebase.messaging', nonce: nonce() }),
      forge(header, { ...claims, iss: '//callpush/applications/x', nonce: nonce() }),
      forge(header, { ...claims, 'sinch:rtc:application_key': 'other', nonce: nonce() }),
      forge(header, { ...claims, exp: iat - 120, iat: iat - 3700, nonce: nonce() }),
      forge(header, { ...claims, exp: iat + 7200, nonce: nonce() }),
      forge(header, { ...claims, iat: iat + 3600, exp: iat + 3700, nonce: nonce() }),
      forge(header, { ...claims, nbf: iat + 600, nonce: nonce() }),
      // Past the last date a JavaScript Date holds: refused, not a RangeError.
      forge(header, { ...claims, iat: 9e15, exp: 9e15 + 3600, nonce: nonce() }),
      ...Array.from({ length: 200 }, (_, i) => {
        // Random byte flips of a valid assertion.
        const chars = good.split('');
        const at = (i * 7919) % chars.length;
        chars[at] = String.fromCharCode(33 + (((chars[at]?.charCodeAt(0) ?? 0) + i) % 90));
        return chars.join('');
      }).filter((flipped) => flipped !== good),
    ];
    for (const assertion of cases) {
      const res = await flowB(app, assertion);
      expect(res.statusCode, `${assertion.slice(0, 80)}: ${res.body}`).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, res.body).toBeLessThan(500);
      expect(res.json().access_token).toBeUndefined();
      expect(['invalid_request', 'invalid_client', 'invalid_scope']).toContain(res.json().error);
      expect(res.headers['cache-control']).toBe('no-store');
    }
    await app.close();
  });

  it('refuses the wrong form: content type, grant, assertion type, scope, repeats', async () => {
    const app = await sinchServer();
    const good = forge(header, { ...claims, nonce: nonce() });
    const json = await app.inject({ method: 'POST', url: PATH, payload: { client_assertion: good } });
    expect([json.statusCode, json.json().error]).toEqual([400, 'invalid_request']);
    const empty = await app.inject({ method: 'POST', url: PATH });
    expect([empty.statusCode, empty.json().error]).toEqual([400, 'invalid_request']);
    const cases: Array<[Record<string, string>, string]> = [
      [{ grant_type: 'password' }, 'unsupported_grant_type'],
      [{ client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer' }, 'invalid_request'],
      [{ scope: 'https://www.googleapis.com/auth/firebase.messaging' }, 'invalid_scope'],
    ];
    for (const [extra, error] of cases) {
      const res = await flowB(app, good, extra);
      expect([res.statusCode, res.json().error]).toEqual([400, error]);
    }
    const repeated = await app.inject({
      method: 'POST',
      url: PATH,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `grant_type=client_credentials&client_assertion_type=${ASSERTION_TYPE}&client_assertion=${good}&client_assertion=${good}`,
    });
    expect([repeated.statusCode, repeated.json().error]).toEqual([400, 'invalid_request']);
    const huge = await flowB(app, 'x'.repeat(100_000));
    expect([huge.statusCode, huge.json().error]).toEqual([400, 'invalid_request']);
    await app.close();
  });

  it('accepts what the gateway signs (callpush prefix and namespace), for a known HMS app only', async () => {
    const config = parseAuthServerConfig({
      publicTokenUrl: 'https://as.example.com/oauth2/v1/huawei-hms/token',
      apps: { app_1: APP_SECRET },
      hms: { tokenUrl: hms.tokenUrl, apps: { [hms.appId]: hms.clientSecret } },
    });
    const app = buildAuthServer(config);
    const sign = (hmsAppId: string) =>
      signClientAssertion({
        app: { key: 'app_1', secret: APP_SECRET, namespace: 'callpush' },
        hmsAppId,
        audience: config.publicTokenUrl,
        scope: HMS_SCOPE,
        issuedAt: Math.floor(Date.now() / 1000),
      });
    expect((await flowB(app, await sign(hms.appId))).statusCode).toBe(200);
    const unknown = await flowB(app, await sign('987654321'));
    expect([unknown.statusCode, unknown.json().error]).toEqual([400, 'unauthorized_client']);
    await app.close();
  });
});

describe('flow A', () => {
  const form = (fields: Record<string, string>) => ({
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(fields).toString(),
  });
  const clientForm = { grant_type: 'client_credentials', client_id: 'my-client-id', client_secret: 'my-client-secret' };

  it('issues a bearer for client credentials and trades it for an HMS token', async () => {
    const app = await sinchServer(APP_SECRET, Date.now);
    const token = await app.inject({
      method: 'POST',
      url: '/oauth/token',
      ...form({ ...clientForm, scope: HMS_SCOPE }),
    });
    expect(token.statusCode, token.body).toBe(200);
    expect(token.json()).toEqual({ access_token: expect.any(String), expires_in: 3600, token_type: 'Bearer' });
    const bearer = { authorization: `Bearer ${token.json().access_token}` };
    const hmsForm = form({ grant_type: 'client_credentials', hms_application_id: hms.appId });
    const res = await app.inject({
      method: 'POST',
      url: '/oauth/hms-token',
      ...hmsForm,
      headers: { ...hmsForm.headers, ...bearer },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().token_type).toBe('Bearer');
    // The FCM endpoint wants the FCM scope, which this bearer was not given.
    const fcm = await app.inject({
      method: 'POST',
      url: '/oauth/fcm-token',
      ...form({ grant_type: 'client_credentials', fcm_project_number: '1' }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...bearer },
    });
    expect([fcm.statusCode, fcm.json().error]).toEqual([403, 'invalid_scope']);
    await app.close();
  });

  it('refuses bad clients with 401 and a challenge, and bad bearers per RFC 6750', async () => {
    const app = await sinchServer(APP_SECRET, Date.now);
    for (const fields of [
      { ...clientForm, client_secret: 'wrong' },
      { ...clientForm, client_id: '__proto__' },
      { grant_type: 'client_credentials' },
    ]) {
      const res = await app.inject({ method: 'POST', url: '/oauth/token', ...form(fields) });
      expect([res.statusCode, res.json().error]).toEqual([401, 'invalid_client']);
      expect(res.headers['www-authenticate']).toMatch(/^Basic /);
      expect(res.headers['cache-control']).toBe('no-store');
    }
    const basicBad = await app.inject({
      method: 'POST',
      url: '/oauth/token',
      ...form({ grant_type: 'client_credentials' }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Basic %%%' },
    });
    expect([basicBad.statusCode, basicBad.json().error]).toEqual([401, 'invalid_client']);
    const scope = await app.inject({
      method: 'POST',
      url: '/oauth/token',
      ...form({ ...clientForm, scope: 'openid' }),
    });
    expect([scope.statusCode, scope.json().error]).toEqual([400, 'invalid_scope']);
    const grant = await app.inject({
      method: 'POST',
      url: '/oauth/token',
      ...form({ ...clientForm, grant_type: 'password' }),
    });
    expect([grant.statusCode, grant.json().error]).toEqual([400, 'unsupported_grant_type']);
    const noBearer = await app.inject({
      method: 'POST',
      url: '/oauth/hms-token',
      ...form({ grant_type: 'client_credentials', hms_application_id: hms.appId }),
    });
    expect([noBearer.statusCode, noBearer.json().error]).toEqual([401, 'invalid_token']);
    expect(noBearer.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    await app.close();
  });
});
