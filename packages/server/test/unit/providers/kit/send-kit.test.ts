import { describe, expect, it } from 'vitest';
import { EndpointRefused } from '../../../../src/infra/net/endpoint-policy.js';
import { ProviderAuthError } from '../../../../src/providers/kit/oauth.js';
import { outcomeOfError, TokenRefused, ttlSeconds, withReauth } from '../../../../src/providers/kit/send-kit.js';
import { TokenCache } from '../../../../src/providers/kit/token-cache.js';

const NOW = 1_800_000_000_000;

describe('ttlSeconds (docs/providers.md#deadline)', () => {
  const cases: Array<[string, number, number | undefined]> = [
    ['27.9 s left', NOW + 27_900, 27],
    ['exactly 30 s left', NOW + 30_000, 30],
    ['under a second left', NOW + 999, 0],
    ['one millisecond left', NOW + 1, 0],
    ['the deadline itself: nothing may be sent', NOW, undefined],
    ['past the deadline', NOW - 1, undefined],
  ];

  it.each(cases)('%s → %o', (_name, deadline, expected) => {
    expect(ttlSeconds(deadline, NOW)).toBe(expected);
  });
});

describe('withReauth', () => {
  /** A token source handing out tok1, tok2, ... and counting its fetches. */
  function source() {
    let fetches = 0;
    const cache = new TokenCache(
      async () => ({ value: `tok${++fetches}`, expiresAt: NOW + 3_600_000 }),
      60_000,
      () => NOW,
    );
    return { cache, fetches: () => fetches };
  }

  it('sends once with the cached token when it is accepted', async () => {
    const { cache, fetches } = source();
    await cache.get();
    const used: string[] = [];
    const r = await withReauth(cache, async (token) => {
      used.push(token);
      return 'ok';
    });
    expect(r).toBe('ok');
    expect(used).toEqual(['tok1']);
    expect(fetches()).toBe(1);
  });

  it('a refused token is dropped, a fresh one fetched, and the send tried once more', async () => {
    const { cache, fetches } = source();
    const used: string[] = [];
    const r = await withReauth(cache, async (token) => {
      used.push(token);
      return token === 'tok1' ? new TokenRefused(401, 'expired') : 'ok';
    });
    expect(r).toBe('ok');
    expect(used).toEqual(['tok1', 'tok2']);
    expect(fetches()).toBe(2);
  });

  it('a second refusal is handed back, not retried again', async () => {
    const { cache } = source();
    let attempts = 0;
    const r = await withReauth(cache, async () => {
      attempts++;
      return new TokenRefused(403, 'wrong key');
    });
    expect(attempts).toBe(2);
    expect(r).toBeInstanceOf(TokenRefused);
    // What the caller makes of it: the credential itself is wrong.
    expect((r as TokenRefused).outcome()).toMatchObject({ kind: 'config_error', status: 403 });
    expect((r as TokenRefused).outcome()).toHaveProperty('reason', expect.stringContaining('wrong key'));
  });
});

describe('outcomeOfError', () => {
  it('a refused token request carries its own outcome', () => {
    const err = new ProviderAuthError({ kind: 'config_error', status: 400, reason: 'invalid_grant' });
    expect(outcomeOfError(err)).toEqual({ kind: 'config_error', status: 400, reason: 'invalid_grant' });
  });

  it('a URL the endpoint policy refuses is a config_error, also as the cause of a stream failure', () => {
    const refused = new EndpointRefused('the endpoint resolves to a non-public address');
    const expected = { kind: 'config_error', reason: 'the endpoint resolves to a non-public address' };
    expect(outcomeOfError(refused)).toEqual(expected);
    expect(outcomeOfError(new Error('The pending stream has been canceled', { cause: refused }))).toEqual(expected);
  });

  it("anything else is the network, which is transient, told by Node's code rather than its message", () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' });
    expect(outcomeOfError(refused)).toEqual({ kind: 'retry', reason: 'network: ECONNREFUSED' });
    const tls = Object.assign(new Error("Host: a. is not in the cert's altnames: DNS:internal.corp"), {
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
    expect(outcomeOfError(tls)).toEqual({ kind: 'retry', reason: 'network: ERR_TLS_CERT_ALTNAME_INVALID' });
    const session = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const stream = Object.assign(new Error('The pending stream has been canceled', { cause: session }), {
      code: 'ERR_HTTP2_STREAM_CANCEL',
    });
    expect(outcomeOfError(stream)).toEqual({ kind: 'retry', reason: 'network: ECONNREFUSED' });
    expect(outcomeOfError(new Error('no answer within 10000 ms'))).toMatchObject({
      reason: 'network: no answer within 10000 ms',
    });
    expect(outcomeOfError('socket closed')).toMatchObject({ kind: 'retry', reason: 'network: unknown failure' });
  });
});
