import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HmsEmulator, startHmsEmulator } from '../src/hms/index.js';
import { http1, type RawAnswer } from './support/raw-http.js';

/**
 * Huawei's client-credentials token endpoint, against the documented request and response (there is no
 * official Node client to test with: Huawei's Node sample is a demo project, not a published package).
 */

const SECRET = 'a+b/c=d&e%f';
let hms: HmsEmulator;

beforeAll(async () => {
  hms = await startHmsEmulator({ clientSecret: SECRET });
});

afterAll(() => hms.close());

function tokenRequest(body: string, path = '/oauth2/v3/token'): Promise<RawAnswer> {
  return http1(`${hms.baseUrl}${path}`, {
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const credentials = () => ({ grant_type: 'client_credentials', client_id: hms.appId, client_secret: SECRET });

function send(accessToken: string, appId = hms.appId): Promise<RawAnswer> {
  return http1(`${hms.pushUrl}/v1/${appId}/messages:send`, {
    headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json;charset=utf-8' },
    body: { message: { data: '{"call_id":"c-1"}', token: ['device'] } },
  });
}

describe('POST /oauth2/v3/token', () => {
  it('issues a one-hour bearer token, written the way Huawei writes JSON', async () => {
    const answer = await tokenRequest(form(credentials()));
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ access_token: expect.stringMatching(/[+]/), expires_in: 3600, token_type: 'Bearer' });
    // Huawei escapes '/' in JSON strings: a client must parse, not cut the token out of the text.
    expect(answer.text).toContain('\\/');
    expect(answer.json.access_token).toContain('/');
    expect(answer.headers['cache-control']).toBe('no-store');
    expect((await send(answer.json.access_token)).json.code).toBe('80000000');
  });

  it('serves the older /oauth2/v2/token path too', async () => {
    expect((await tokenRequest(form(credentials()), '/oauth2/v2/token')).status).toBe(200);
  });

  it('needs the secret form-encoded (a raw "+" arrives as a space)', async () => {
    const raw = `grant_type=client_credentials&client_id=${hms.appId}&client_secret=${SECRET}`;
    expect((await tokenRequest(raw)).json).toMatchObject({ error: 1101, sub_error: 12304 });
  });

  it.each([
    ['a wrong secret', { client_secret: 'nope' }, 12304],
    ['a malformed client id', { client_id: 'com.example.app' }, 20002],
    ['an unknown client id', { client_id: '1' }, 20003],
    ['an empty secret', { client_secret: '' }, 20171],
  ])('refuses %s with error 1101 / sub_error %i', async (_case, override, subError) => {
    const answer = await tokenRequest(form({ ...credentials(), ...override }));
    expect(answer.status).toBe(400);
    expect(answer.json).toEqual({ error: 1101, sub_error: subError, error_description: expect.any(String) });
  });

  it('refuses other grant types', async () => {
    const answer = await tokenRequest(form({ ...credentials(), grant_type: 'password' }));
    expect(answer.status).toBe(400);
    expect(answer.json.error).toBe(1101);
  });
});

describe('bearer checks on messages:send', () => {
  it('answers 80200001 for a missing or unknown token', async () => {
    for (const token of ['', 'CF3Xl2XV6jMK']) {
      const answer = await send(token);
      expect(answer.status).toBe(401);
      expect(answer.json).toEqual({
        code: '80200001',
        msg: expect.any(String),
        requestId: expect.stringMatching(/^\d{24}$/),
      });
    }
  });

  it('answers 80200003 for an expired token', async () => {
    const answer = await send(hms.issueAccessToken(0).access_token);
    expect(answer.status).toBe(401);
    expect(answer.json.code).toBe('80200003');
  });

  it('answers 80200001 for a token used with another app id', async () => {
    expect((await send(hms.issueAccessToken().access_token, '100000001')).json.code).toBe('80200001');
  });
});
