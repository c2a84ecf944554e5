import { createECDH, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { readSubscription, subscriptionToPush } from '../../../../src/providers/webpush/subscription.js';

const keys = {
  p256dh: createECDH('prime256v1').generateKeys().toString('base64url'),
  auth: randomBytes(16).toString('base64url'),
};
const token = (endpoint: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ endpoint, expirationTime: null, keys, ...extra });

describe('readSubscription', () => {
  it('reads the endpoint and keys of PushSubscription.toJSON(), and nothing else', () => {
    const read = readSubscription(token('https://fcm.googleapis.com/fcm/send/abc:def', { extra: 1 }));
    expect(read).toEqual({ endpoint: 'https://fcm.googleapis.com/fcm/send/abc:def', keys });
  });

  it('names the part at fault', () => {
    expect(readSubscription('{')).toMatchObject({ field: 'token' });
    expect(readSubscription(token('mailto:x@example.com'))).toMatchObject({ field: 'token.endpoint' });
    expect(
      readSubscription(JSON.stringify({ endpoint: 'https://p.example/x', keys: { ...keys, p256dh: 42 } })),
    ).toMatchObject({ field: 'token.keys.p256dh' });
    expect(
      readSubscription(JSON.stringify({ endpoint: 'https://p.example/x', keys: { p256dh: keys.p256dh } })),
    ).toMatchObject({ field: 'token.keys.auth' });
  });
});

describe('subscriptionToPush', () => {
  const endpoint = 'https://updates.push.services.mozilla.com/wpush/v2/gAAAA?x=1';

  it('without an override pushes to the endpoint as subscribed', () => {
    expect(subscriptionToPush(token(endpoint), undefined)).toEqual({ endpoint, keys });
  });

  it("an origin override replaces scheme, host and port and keeps the push resource's path and query", () => {
    const push = subscriptionToPush(token(endpoint), 'http://127.0.0.1:4443');
    expect(push?.endpoint).toBe('http://127.0.0.1:4443/wpush/v2/gAAAA?x=1');
    expect(push?.keys).toEqual(keys);
  });

  it('an override ignores any path of its own', () => {
    expect(subscriptionToPush(token('https://push.example/a/b'), 'https://emu.test:9000/ignored')?.endpoint).toBe(
      'https://emu.test:9000/a/b',
    );
  });

  it('a token that is no subscription cannot be pushed to, override or not', () => {
    expect(subscriptionToPush('not json', undefined)).toBeUndefined();
    expect(subscriptionToPush(token('ftp://x.example/1'), 'https://emu.test')).toBeUndefined();
  });
});
