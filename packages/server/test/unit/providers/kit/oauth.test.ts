import { describe, expect, it } from 'vitest';
import type { HttpClient, HttpResponse } from '../../../../src/infra/net/index.js';
import { fetchAccessToken, ProviderAuthError } from '../../../../src/providers/kit/oauth.js';
import { answer } from '../../fixtures.js';

const NOW = 1_800_000_000_000;

/** The refusal a token endpoint's answer becomes. */
async function refusalOf(res: HttpResponse): Promise<ProviderAuthError['outcome']> {
  const http = { post: async () => res } as unknown as HttpClient;
  try {
    await fetchAccessToken(http, new URL('https://owner.example/token'), new URLSearchParams({ a: 'b' }), () => NOW);
  } catch (err) {
    if (err instanceof ProviderAuthError) return err.outcome;
    throw err;
  }
  throw new Error('the token request succeeded');
}

describe('fetchAccessToken refusals: codes only, never the endpoint’s free text', () => {
  it('keeps RFC 6749 error codes and Huawei numeric codes, drops error_description', async () => {
    const google = await refusalOf(
      answer(400, { error: 'invalid_grant', error_description: 'Invalid JWT: see 10.0.0.5' }),
    );
    expect(google).toEqual({
      kind: 'config_error',
      status: 400,
      reason: 'token request refused (HTTP 400): invalid_grant',
    });
    const huawei = await refusalOf(answer(401, { error: 1101, sub_error: 20604, error_description: 'invalid secret' }));
    expect(huawei.reason).toBe('token request refused (HTTP 401): 1101/20604');
  });

  it('says nothing of a body that carries no code token', async () => {
    expect((await refusalOf(answer(403, { error: 'not a code: INTERNAL-7c1d' }))).reason).toBe(
      'token request refused (HTTP 403)',
    );
    expect((await refusalOf(answer(503, '<html>INTERNAL-7c1d</html>'))).reason).toBe(
      'token request refused (HTTP 503)',
    );
  });

  it('a redirect is a config_error, never followed', async () => {
    expect(await refusalOf(answer(302, '', { location: 'http://169.254.169.254/' }))).toEqual({
      kind: 'config_error',
      status: 302,
      reason: 'token request refused (HTTP 302 redirect, not followed)',
    });
  });
});
