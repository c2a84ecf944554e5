import { createECDH } from 'node:crypto';
import { decryptAes128gcm, parseDeclarative } from '@callpush/emulators';
import { describe, expect, it } from 'vitest';
import type { RingMessage } from '../../../../src/kernel/wire.js';
import type { PushRequest } from '../../../../src/providers/contract.js';
import type { WebPushCredential } from '../../../../src/providers/webpush/credential.js';
import { buildWebPushRequest, webPushPlaintext } from '../../../../src/providers/webpush/request.js';
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

type Format = Pick<WebPushCredential, 'format' | 'navigate'>;

const push = (request: PushRequest, ttl = 27, format: Format = {}) => {
  const { subscription, read } = browser();
  const built = buildWebPushRequest(subscription, request, webPushPlaintext(request, format), 'vapid t=x, k=y', ttl);
  return { headers: built.headers, message: read(built.body) };
};

const DECLARATIVE: Format = { format: 'declarative', navigate: 'https://app.example/calls/{callId}' };

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

describe('the declarative format (docs/providers.md#webpush-declarative)', () => {
  const declarative = (request: PushRequest) => push(request, 27, DECLARATIVE).message;

  it('rings with a notification that stays until acted on, opens the call page, and carries the v1 message', () => {
    const ring = { ...aRingRequest(), notification: { title: 'Alice', body: 'Incoming call', visibleOnData: false } };
    const body = declarative(ring);
    expect(body).toEqual({
      web_push: 8030,
      notification: {
        title: 'Alice',
        body: 'Incoming call',
        navigate: `https://app.example/calls/${encodeURIComponent((ring.message as RingMessage).callId)}`,
        tag: ring.collapseId,
        requireInteraction: true,
        data: ring.message,
      },
      mutable: true,
    });
    // What Safari's parser makes of it, as the Web Push emulator plays it.
    expect(parseDeclarative(body)).toEqual({
      notification: { title: 'Alice', body: 'Incoming call', tag: ring.collapseId, sound: true },
    });
  });

  it('a cancel silently replaces the ring (same tag); a missed notice replaces it with a sound', () => {
    const ring = aRingRequest();
    const cancelled = declarative({
      ...aCancelRequest(),
      notification: { title: 'Alice', body: 'Cancelled', visibleOnData: false },
    });
    const missed = declarative(missedOf(ring));
    expect(cancelled.notification).toMatchObject({
      tag: ring.collapseId,
      silent: true,
      title: 'Alice',
      body: 'Cancelled',
    });
    expect(cancelled.notification).not.toHaveProperty('requireInteraction');
    expect(missed.notification).toMatchObject({ tag: ring.collapseId, title: 'Alice', body: 'Verpasster Anruf' });
    expect(missed.notification).not.toHaveProperty('silent');
    for (const body of [cancelled, missed]) expect(parseDeclarative(body)).toHaveProperty('notification');
  });

  it('without rendered text the notification names the caller: by display name, or by id on a cancel', () => {
    expect(declarative(aRingRequest()).notification).toMatchObject({ title: 'Alice' });
    expect(declarative(aRingRequest()).notification).not.toHaveProperty('body');
    expect(declarative(aCancelRequest()).notification).toMatchObject({ title: 'alice' });
  });

  it("follows the registration's format over the credential's, on a credential that names the page", () => {
    const ring = aRingRequest();
    const page = { navigate: DECLARATIVE.navigate };
    const shape = (credential: Format, format?: 'declarative' | 'service-worker') =>
      JSON.parse(webPushPlaintext(ring, credential, format ? { format } : {}));
    expect(shape(page, 'declarative')).toEqual(shape(DECLARATIVE));
    expect(shape(DECLARATIVE, 'service-worker')).toEqual(ring.message);
    expect(shape(page)).toEqual(ring.message);
    // Without a page no declarative message can be built: the v1 message goes, for the service worker.
    expect(shape({}, 'declarative')).toEqual(ring.message);
  });

  it('keeps Urgency, TTL and Topic as in the default format', () => {
    const ring = aRingRequest();
    expect(push(ring, 27, DECLARATIVE).headers).toMatchObject({
      Urgency: 'high',
      TTL: '27',
      Topic: push(ring).headers.Topic,
    });
  });
});
