import { importPKCS8, SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type HmsEmulator, SERVICE_ACCOUNT_AUDIENCE, startHmsEmulator } from '../src/hms/index.js';
import { http1, type RawAnswer } from './support/raw-http.js';

/** HMS Push Kit v3 (HarmonyOS NEXT) `messages:send`: service-account JWTs, `push-type`, the v3 body. */

let hms: HmsEmulator;

beforeAll(async () => {
  hms = await startHmsEmulator({ projectId: '388421841222199046' });
});

afterEach(() => {
  hms.messages.clear();
  hms.behaviours.clear();
});

afterAll(() => hms.close());

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A JWT as Huawei's guide has senders make it, with `claims` and `header` overriding the right ones. */
async function jwt(claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> {
  const account = hms.serviceAccount;
  const iat = nowSeconds();
  return new SignJWT({ iss: account.sub_account, aud: SERVICE_ACCOUNT_AUDIENCE, iat, exp: iat + 3600, ...claims })
    .setProtectedHeader({ alg: 'PS256', typ: 'JWT', kid: account.key_id, ...header })
    .sign(await importPKCS8(account.private_key, 'PS256'));
}

const ring = (tokens: string[], payload: object = { extraData: '{"callpush":"{}"}' }) => ({
  payload,
  target: { token: tokens },
  pushOptions: { ttl: 30 },
});

async function post(
  body: unknown,
  options: { pushType?: string; bearer?: string; project?: string } = {},
): Promise<RawAnswer> {
  const project = options.project ?? hms.serviceAccount.project_id;
  return http1(`${hms.pushUrl}/v3/${project}/messages:send`, {
    headers: {
      authorization: `Bearer ${options.bearer ?? (await jwt())}`,
      'content-type': 'application/json',
      ...(options.pushType === undefined ? { 'push-type': '10' } : { 'push-type': options.pushType }),
    },
    body,
  });
}

const codeOf = (answer: RawAnswer) => [answer.status, answer.json?.code];

describe('HMS v3: authentication by service-account JWT', () => {
  it('delivers an in-app call signed by the project service account, recorded with its push-type', async () => {
    expect(codeOf(await post(ring(['next-a', 'next-b'])))).toEqual([200, '80000000']);
    const [first] = hms.messages.list({ token: 'next-a' });
    expect(first?.headers['push-type']).toBe('10');
    expect(first?.payload).toEqual({ payload: { extraData: '{"callpush":"{}"}' }, pushOptions: { ttl: 30 } });
    expect(first?.device).toEqual({ priority: 'high' });
    expect(first?.headers.authorization).toBeUndefined();
  });

  it.each([
    ['another key id', async () => jwt({}, { kid: 'another' })],
    ['another issuer', async () => jwt({ iss: 'someone' })],
    ['another audience', async () => jwt({ aud: 'https://push-api.cloud.huawei.com' })],
    ['a lifetime over an hour', async () => jwt({ exp: nowSeconds() + 7200 })],
    ['a v1 OAuth access token', async () => hms.issueAccessToken().access_token],
  ])('80200001 for %s', async (_name, bearer) => {
    expect(codeOf(await post(ring(['next-a']), { bearer: await bearer() }))).toEqual([401, '80200001']);
  });

  it('80200001 for another project in the path; 80200003 for an expired JWT', async () => {
    expect(codeOf(await post(ring(['next-a']), { project: '1' }))).toEqual([401, '80200001']);
    const expired = await jwt({ iat: nowSeconds() - 3700, exp: nowSeconds() - 100 });
    expect(codeOf(await post(ring(['next-a']), { bearer: expired }))).toEqual([401, '80200003']);
  });
});

describe('HMS v3: the request', () => {
  it.each([
    ['no push-type', { pushType: '' }, ring(['t']), '80100001'],
    ['an unknown push-type', { pushType: '5' }, ring(['t']), '80100001'],
    ['an in-app call without extraData', {}, ring(['t'], {}), '80100003'],
    [
      'a background message whose extraData is no string',
      { pushType: '6' },
      ring(['t'], { extraData: {} }),
      '80100003',
    ],
    ['a v1-style ttl', {}, { ...ring(['t']), pushOptions: { ttl: '30s' } }, '80100001'],
    ['a ttl over 15 days', {}, { ...ring(['t']), pushOptions: { ttl: 1_296_001 } }, '80100001'],
    ['no target', {}, { payload: { extraData: '' } }, '80300010'],
    ['1001 tokens', {}, ring(Array.from({ length: 1001 }, (_, i) => `t${i}`)), '80300010'],
    ['a body over 4096 bytes without tokens', {}, ring(['t'], { extraData: 'x'.repeat(4096) }), '80300008'],
  ])('refuses %s', async (_name, options, body, code) => {
    expect((await post(body, options)).json?.code).toBe(code);
    expect(hms.messages.list()).toEqual([]);
  });

  it('a background message (push-type 6) is recorded at normal priority', async () => {
    expect(codeOf(await post(ring(['next-c']), { pushType: '6' }))).toEqual([200, '80000000']);
    expect(hms.messages.list({ token: 'next-c' })[0]?.device).toEqual({ priority: 'normal' });
  });
});

describe('HarmonyOS NEXT tokens', () => {
  it('v1 refuses them as invalid tokens (80300007 when none is valid, else listed in 80100000); v3 delivers', async () => {
    hms.addNextToken('next-d');
    const v1 = (tokens: string[]) =>
      http1(`${hms.pushUrl}/v1/${hms.appId}/messages:send`, {
        headers: { authorization: `Bearer ${hms.issueAccessToken().access_token}` },
        body: { message: { data: '{}', token: tokens } },
      });
    expect(codeOf(await v1(['next-d']))).toEqual([404, '80300007']);
    const partial = await v1(['next-d', 'android-a']);
    expect(partial.json?.code).toBe('80100000');
    expect(JSON.parse(partial.json?.msg).illegal_tokens).toEqual(['next-d']);
    expect(codeOf(await post(ring(['next-d'])))).toEqual([200, '80000000']);
  });
});
