import { describe, expect, it } from 'vitest';
import { Backoff } from '../src/client/backoff.js';
import { Emitter } from '../src/client/emitter.js';
import { registrationBody } from '../src/client/registration.js';
import { refreshAt, TokenSource } from '../src/client/token.js';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwt = (claims: Record<string, unknown>) => `${b64({ alg: 'HS256' })}.${b64(claims)}.sig`;

describe('reconnect backoff', () => {
  it('doubles its ceiling from minMs up to maxMs, never waits less than minMs, and resets', () => {
    const high = new Backoff({ minMs: 500, maxMs: 30_000 }, () => 1);
    expect(Array.from({ length: 8 }, () => high.next())).toEqual([
      1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000,
    ]);
    high.reset();
    expect(high.next()).toBe(1000);
    const low = new Backoff({ minMs: 500, maxMs: 30_000 }, () => 0);
    expect([low.next(), low.next(), low.next()]).toEqual([500, 500, 500]);
  });
});

describe('token expiry', () => {
  it('refreshes 60 s before exp, or at half the lifetime of a short token', () => {
    expect(refreshAt(jwt({ iat: 1000, exp: 4600 }))).toBe(4_540_000);
    expect(refreshAt(jwt({ iat: 1000, exp: 1060 }))).toBe(1_030_000);
    expect(refreshAt(jwt({ exp: 4600 }))).toBe(4_540_000);
    expect(refreshAt(jwt({ sub: 'ü', exp: 4600, iat: 1000 }))).toBe(4_540_000);
  });

  it('does not know when a token that is not a JWT with exp expires', () => {
    for (const token of ['garbage', 'a.b.c', jwt({ iat: 1 }), `x.${b64([1])}.y`, '']) {
      expect(refreshAt(token)).toBeUndefined();
    }
  });

  it('asks the provider once for concurrent callers, and again once a token is refused', async () => {
    let calls = 0;
    const far = Math.floor(Date.now() / 1000) + 3600;
    const source = new TokenSource('bob', async (userId) => jwt({ sub: userId, n: ++calls, exp: far }));
    const [a, b] = await Promise.all([source.get(), source.get()]);
    expect(a).toBe(b);
    expect(calls).toBe(1);
    source.refused('some older token');
    expect(await source.get()).toBe(a);
    source.refused(a);
    expect(await source.get()).not.toBe(a);
    expect(calls).toBe(2);
  });

  it('lets a provider failure through and asks again next time', async () => {
    let calls = 0;
    const source = new TokenSource('bob', async () => {
      if (++calls === 1) throw new Error('backend down');
      return 'token';
    });
    await expect(source.get()).rejects.toThrow('backend down');
    expect(await source.get()).toBe('token');
  });
});

describe('typed emitter', () => {
  it('unsubscribes, and a throwing listener does not stop the others', async () => {
    const emitter = new Emitter<{ ping: [n: number] }>();
    const seen: number[] = [];
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown) => uncaught.push(e);
    process.prependListener('uncaughtException', onUncaught);
    try {
      emitter.on('ping', () => {
        throw new Error('listener bug');
      });
      const off = emitter.on('ping', (n) => seen.push(n));
      emitter.emit('ping', 1);
      off();
      emitter.emit('ping', 2);
      await new Promise((r) => setTimeout(r, 10));
    } finally {
      process.removeListener('uncaughtException', onUncaught);
    }
    expect(seen).toEqual([1]);
    expect(uncaught).toHaveLength(2);
  });
});

describe('the registration body', () => {
  const fcm = { provider: 'fcm', token: 't', kind: 'alert' as const };

  it('passes an APNs environment and a Web Push format only when given, and nothing the gateway does not know', () => {
    const apns = { provider: 'apns', token: 'ab', kind: 'voip' as const, environment: 'sandbox' as const };
    const web = { provider: 'webpush', token: '{}', kind: 'alert' as const, format: 'declarative' as const };
    expect(registrationBody({ ...fcm, colour: 'red' } as typeof fcm)).toEqual(fcm);
    expect(registrationBody({ ...web, locale: 'fr' })).toEqual({ ...web, locale: 'fr' });
    expect(registrationBody({ registrations: [apns, { ...apns, kind: 'alert', environment: undefined }] })).toEqual({
      registrations: [apns, { provider: 'apns', token: 'ab', kind: 'alert' }],
    });
  });
});
