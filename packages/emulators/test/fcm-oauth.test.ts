import { generateKeyPairSync } from 'node:crypto';
import { importPKCS8, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  CLOUD_PLATFORM_SCOPE,
  type FcmEmulator,
  JWT_BEARER_GRANT,
  MESSAGING_SCOPE,
  startFcmEmulator,
} from '../src/fcm/index.js';
import { http1, type RawAnswer } from './support/raw-http.js';

/**
 * The token endpoint against Google's documented service-account flow
 * (developers.google.com/identity/protocols/oauth2/service-account): an RS256 JWT signed with the key file's
 * `private_key`, `kid` = `private_key_id`, `iss` = `client_email`, `aud` = `token_uri`, one hour at most,
 * exchanged with the jwt-bearer grant. firebase-admin cannot be used here: it ignores `token_uri`.
 */

let fcm: FcmEmulator;

beforeAll(async () => {
  fcm = await startFcmEmulator({ transport: 'h2c', accessTokenTtlSeconds: 2 });
});

afterAll(() => fcm.close());

const now = () => Math.floor(Date.now() / 1000);

/** An assertion as Google's client libraries build it; `claims` override or (undefined) remove the defaults. */
async function assertion(claims: JWTPayload = {}, signingKeyPem = fcm.serviceAccount.private_key): Promise<string> {
  const account = fcm.serviceAccount;
  const iat = now();
  const payload: JWTPayload = {
    iss: account.client_email,
    aud: account.token_uri,
    scope: `${MESSAGING_SCOPE} ${CLOUD_PLATFORM_SCOPE}`,
    iat,
    exp: iat + 3600,
    ...claims,
  };
  for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: account.private_key_id })
    .sign(await importPKCS8(signingKeyPem, 'RS256'));
}

function tokenRequest(
  form: Record<string, string>,
  contentType = 'application/x-www-form-urlencoded',
): Promise<RawAnswer> {
  return http1(fcm.serviceAccount.token_uri, {
    headers: { 'content-type': contentType },
    body: new URLSearchParams(form).toString(),
  });
}

async function exchange(jwt: string): Promise<RawAnswer> {
  return tokenRequest({ grant_type: JWT_BEARER_GRANT, assertion: jwt });
}

function sendWith(accessToken: string): Promise<RawAnswer> {
  return http1(`${fcm.baseUrl}/v1/projects/${fcm.projectId}/messages:send`, {
    headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
    body: { message: { token: 'device', data: { call_id: 'c-1' } } },
  });
}

describe('service account', () => {
  it('is a complete key file pointing its token_uri at the emulator', () => {
    expect(fcm.serviceAccount).toMatchObject({
      type: 'service_account',
      project_id: fcm.projectId,
      private_key_id: expect.stringMatching(/^[0-9a-f]{40}$/),
      private_key: expect.stringMatching(/^-----BEGIN PRIVATE KEY-----\n/),
      client_email: `firebase-adminsdk-emu@${fcm.projectId}.iam.gserviceaccount.com`,
      client_id: expect.stringMatching(/^\d{21}$/),
      token_uri: `${fcm.baseUrl}/token`,
    });
  });
});

describe('POST /token', () => {
  it('exchanges a valid assertion for a bearer token that sends, uncacheable', async () => {
    const answer = await exchange(await assertion());
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({
      access_token: expect.stringMatching(/^ya29\./),
      expires_in: 2,
      token_type: 'Bearer',
    });
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(answer.headers.pragma).toBe('no-cache');
    expect((await sendWith(answer.json.access_token)).status).toBe(200);
  });

  it('lets the token expire after expires_in', async () => {
    const { access_token } = (await exchange(await assertion())).json;
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 2001);
      const refused = await sendWith(access_token);
      expect(refused.status).toBe(401);
      expect(refused.json.error.status).toBe('UNAUTHENTICATED');
    } finally {
      vi.useRealTimers();
    }
  });

  it.each([
    ['expired', () => ({ iat: now() - 7200, exp: now() - 3600 })],
    ['issued in the future', () => ({ iat: now() + 600, exp: now() + 1200 })],
    ['living longer than an hour', () => ({ iat: now(), exp: now() + 3601 })],
    ['without exp', () => ({ exp: undefined })],
  ])('refuses an assertion %s with invalid_grant', async (_case, claims) => {
    const answer = await exchange(await assertion(claims()));
    expect(answer.status).toBe(400);
    expect(answer.json).toEqual({
      error: 'invalid_grant',
      error_description: expect.stringMatching(/^Invalid JWT: Token must be a short-lived token \(60 minutes\)/),
    });
  });

  it('tolerates a little clock skew', async () => {
    expect((await exchange(await assertion({ iat: now() + 30, exp: now() + 3630 }))).status).toBe(200);
  });

  it('refuses another audience, naming the right one', async () => {
    const answer = await exchange(await assertion({ aud: 'https://oauth2.googleapis.com/token' }));
    expect(answer.status).toBe(400);
    expect(answer.json.error).toBe('invalid_grant');
    expect(answer.json.error_description).toContain(fcm.serviceAccount.token_uri);
  });

  it('refuses a signature by another key', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    const answer = await exchange(await assertion({}, other.toString()));
    expect(answer.status).toBe(400);
    expect(answer.json).toEqual({ error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
  });

  it('refuses an unknown issuer as an unknown client (401)', async () => {
    const answer = await exchange(await assertion({ iss: 'someone@else.iam.gserviceaccount.com' }));
    expect(answer.status).toBe(401);
    expect(answer.json.error).toBe('invalid_client');
  });

  it('refuses an assertion without scope, and a token without the messaging scope cannot send', async () => {
    const noScope = await exchange(await assertion({ scope: undefined }));
    expect(noScope.status).toBe(400);
    expect(noScope.json.error).toBe('invalid_scope');
    const other = await exchange(await assertion({ scope: 'https://www.googleapis.com/auth/datastore' }));
    expect(other.status).toBe(200);
    const refused = await sendWith(other.json.access_token);
    expect(refused.status).toBe(403);
    expect(refused.json.error).toMatchObject({
      status: 'PERMISSION_DENIED',
      message: 'Request had insufficient authentication scopes.',
    });
  });

  it('accepts the cloud-platform scope alone', async () => {
    const answer = await exchange(await assertion({ scope: CLOUD_PLATFORM_SCOPE }));
    expect((await sendWith(answer.json.access_token)).status).toBe(200);
  });

  it.each([
    ['an unsupported grant type', { grant_type: 'client_credentials' }, 'unsupported_grant_type'],
    ['no grant type', { assertion: 'x' }, 'invalid_request'],
    ['no assertion', { grant_type: JWT_BEARER_GRANT }, 'invalid_request'],
    ['a malformed assertion', { grant_type: JWT_BEARER_GRANT, assertion: 'not.a.jwt' }, 'invalid_grant'],
  ])('answers %s with %s', async (_case, form, error) => {
    const answer = await tokenRequest(form);
    expect(answer.status).toBe(400);
    expect(answer.json).toEqual({ error, error_description: expect.any(String) });
  });

  it('refuses repeated parameters and bodies that are not form-encoded', async () => {
    const jwt = await assertion();
    const repeated = await http1(fcm.serviceAccount.token_uri, {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=${encodeURIComponent(JWT_BEARER_GRANT)}&assertion=${jwt}&assertion=${jwt}`,
    });
    expect(repeated.json.error).toBe('invalid_request');
    const asJson = await tokenRequest({ grant_type: JWT_BEARER_GRANT, assertion: jwt }, 'application/json');
    expect(asJson.json.error).toBe('invalid_request');
  });
});
