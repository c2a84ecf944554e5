import { createECDH } from 'node:crypto';
import { decryptAes128gcm } from '@callpush/emulators';
import { describe, expect, it } from 'vitest';
import type { PushRequest } from '../../../../src/providers/contract.js';
import { buildWebPushRequest } from '../../../../src/providers/webpush/request.js';
import { aCancelRequest, aRingRequest } from '../../fixtures.js';
import { missedOf } from '../requests.js';

/** A browser's subscription with the keys to read what was sent to it. */
function browser() {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const authSecret = Buffer.alloc(16, 9);
  const subscription = {
    endpoint: 'https://push.example.net/push/abc',
    keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: authSecret.toString('base64url') },
  };
  const read = (body: Buffer) =>
    JSON.parse(
      decryptAes128gcm(body, {
        privateKey: ecdh.getPrivateKey(),
        publicKey: ecdh.getPublicKey(),
        authSecret,
      }).toString(),
    );
  return { subscription, read };
}

const push = (request: PushRequest, ttl = 27) => {
  const { subscription, read } = browser();
  const built = buildWebPushRequest(subscription, request, 'vapid t=x, k=y', ttl);
  return { headers: built.headers, message: read(built.body) };
};

describe('buildWebPushRequest (docs/providers.md#web-push)', () => {
  it.each([
    ['a ring', aRingRequest()],
    ['a cancel', aCancelRequest()],
  ])('%s goes with Urgency high, so it reaches a device on low battery', (_name, request) => {
    expect(push(request).headers).toMatchObject({ Urgency: 'high', TTL: '27' });
  });

  it('a missed notice goes with Urgency normal, hours of TTL and the topic of its call', () => {
    const ring = aRingRequest();
    const missed = push(missedOf(ring), 21_600);
    expect(missed.headers).toMatchObject({ Urgency: 'normal', TTL: '21600' });
    expect(missed.headers.Topic).toBe(push(ring).headers.Topic);
  });

  it('the body is the v1 message itself, text included, for the service worker to show', () => {
    const missed = missedOf(aRingRequest());
    expect(push(missed).message).toEqual(missed.message);
    expect(push(missed).message.text).toEqual({ title: 'Alice', body: 'Verpasster Anruf' });
  });
});
