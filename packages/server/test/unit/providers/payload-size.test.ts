import { createECDH } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { CancelMessage, RingMessage } from '../../../src/kernel/wire.js';
import { buildApnsPush } from '../../../src/providers/apns/request.js';
import type { PushRequest, PushTarget, RegistrationChoices } from '../../../src/providers/contract.js';
import { fcmPayload, fcmSendBody } from '../../../src/providers/fcm/message.js';
import { hmsSendBody } from '../../../src/providers/hms/message.js';
import { type ProviderCredential, type ProviderType, providerModule } from '../../../src/providers/registry.js';
import { buildWebPushRequest, webPushPlaintext } from '../../../src/providers/webpush/request.js';
import { apnsCredential, fcmCredential, hmsCredential, webPushCredential } from '../../support/credentials.js';
import { aCancelRequest, aRingRequest, T0 } from '../fixtures.js';
import { missedOf } from './requests.js';

/**
 * What a provider says a message weighs must be what its client puts on the wire, byte for byte: placing a
 * call refuses on that number (docs/security.md, "The ring path").
 */

const hostileContents: Record<string, Record<string, string>> = {
  'control characters': { k: '\u0001\u0002\u001f'.repeat(100) },
  quotes: { q: '"\\'.repeat(200) },
  'many empty keys': Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${i}`, ''])),
  '4-byte UTF-8': { e: '😀'.repeat(250) },
  'a lone surrogate': { s: '\ud800'.repeat(100) },
};

const ring = (headers: Record<string, string>): PushRequest => {
  const base = aRingRequest();
  const message = base.message as RingMessage;
  return { ...base, message: { ...message, headers, displayName: 'Ünïcödé "name"' } };
};

/** Hostile text where a message carries text: the notification and the v1 message's `text`. */
const textOf = (values: Record<string, string>) => ({ title: Object.values(values).join(''), body: '"\\€😀' });

/** Every shape a client wraps, with the hostile content where that shape has room for it. */
const shapes: Record<string, (hostile: Record<string, string>) => PushRequest> = {
  ring,
  'ring with its alert text': (hostile) => ({
    ...ring(hostile),
    notification: { ...textOf(hostile), visibleOnData: false },
  }),
  'shown missed notice with localization keys': (hostile) =>
    missedOf(aRingRequest(), {
      ...textOf(hostile),
      titleLocKey: 'MISSED_TITLE',
      locKey: 'MISSED "BODY"',
      locArgs: Object.values(hostile),
      visibleOnData: true,
    }),
  'cancel with its text': (hostile) => {
    const base = aCancelRequest();
    const text = textOf(hostile);
    const message = { ...(base.message as CancelMessage), text };
    return { ...base, message, notification: { ...text, visibleOnData: false } };
  },
};

const TTL = 29;
const NOW = T0 + 1_000;

/** A Web Push credential of the default format that names the page declarative registrations open. */
const WEBPUSH = { ...webPushCredential(), navigate: 'https://app.example/calls/{callId}' };
const CREDENTIALS: Record<ProviderType, ProviderCredential> = {
  fcm: fcmCredential(),
  hms: hmsCredential(),
  apns: apnsCredential(),
  webpush: WEBPUSH,
};

/** What a provider says `r` weighs for a device of `kind` that made `choices`. */
const weigh = (type: ProviderType, r: PushRequest, kind: PushTarget['kind'], at: number, choices = {}) =>
  providerModule(type)!.payloadBytes(r, kind, at, CREDENTIALS[type], choices);

function subscription() {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return {
    endpoint: 'https://push.example.net/push/abc',
    keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: Buffer.alloc(16, 7).toString('base64url') },
  };
}

/** The bytes each provider's limit counts, taken from what its client builds. */
const onTheWire = {
  // What FCM is sent: data keys plus values, and the JSON of the notification block (as the emulator counts it).
  fcm: (r: PushRequest) => {
    const { message } = JSON.parse(fcmSendBody('tok-1', fcmPayload(r), r, TTL));
    const data = Object.entries(message.data as Record<string, string>);
    const notification = message.android.notification;
    return (
      data.reduce((n, [k, v]) => n + Buffer.byteLength(k + v), 0) +
      (notification ? Buffer.byteLength(JSON.stringify(notification)) : 0)
    );
  },
  hms: (r: PushRequest) => {
    const { message } = JSON.parse(hmsSendBody(['tok-1', 'tok-2'], r, TTL));
    delete message.token;
    return Buffer.byteLength(JSON.stringify(message));
  },
  apns: (r: PushRequest, kind: PushTarget['kind']) => {
    const push = buildApnsPush({ deviceId: 'd', token: 'ab'.repeat(32), kind }, r, 'com.example', NOW);
    if ('skip' in push) throw new Error(push.skip);
    return Buffer.byteLength(push.payload);
  },
  webpush: (r: PushRequest, choices: RegistrationChoices = {}) =>
    buildWebPushRequest(subscription(), r, webPushPlaintext(r, WEBPUSH, choices), 'vapid t=x, k=y', TTL).body.length,
};

describe('payloadBytes: the size of a message as the client wraps it', () => {
  for (const [shape, build] of Object.entries(shapes)) {
    for (const [name, content] of Object.entries(hostileContents)) {
      for (const type of ['fcm', 'hms', 'webpush'] as const) {
        it(`${type}, ${shape}, ${name}`, () => {
          const r = build(content);
          // The TTL the HMS body carries is the one left at `now`.
          const at = r.deadline - TTL * 1000;
          expect(weigh(type, r, 'alert', at)).toBe(onTheWire[type](r));
        });
      }
      it(`webpush declarative, ${shape}, ${name}`, () => {
        const r = build(content);
        const declarative = { format: 'declarative' } as const;
        expect(weigh('webpush', r, 'alert', NOW, declarative)).toBe(onTheWire.webpush(r, declarative));
        // The declarative shape carries the v1 message and more: never measured smaller than the default one.
        expect(weigh('webpush', r, 'alert', NOW, declarative)).toBeGreaterThan(weigh('webpush', r, 'alert', NOW));
      });
      // Only a ring goes to a VoIP token.
      for (const kind of shape.startsWith('ring') ? (['voip', 'alert'] as const) : (['alert'] as const)) {
        it(`apns ${kind}, ${shape}, ${name}`, () => {
          const r = build(content);
          expect(weigh('apns', r, kind, NOW)).toBe(onTheWire.apns(r, kind));
        });
      }
    }
  }

  it("measures another SDK's data map where the client sends it instead of the v1 message", () => {
    const r = { ...aRingRequest(), data: { event: 'on_call_incoming', message: '"'.repeat(100) } };
    expect(weigh('fcm', r, 'alert', NOW)).toBe(onTheWire.fcm(r));
    expect(weigh('hms', r, 'alert', r.deadline - TTL * 1000)).toBe(onTheWire.hms(r));
  });

  it("measures a Web Push ring in the registration's format, else the credential's", () => {
    const r = { ...aRingRequest(), notification: { title: 'Alice', body: 'Incoming call', visibleOnData: false } };
    const declarativeCredential = { ...WEBPUSH, format: 'declarative' as const };
    const webpush = providerModule('webpush')!;
    const classic = weigh('webpush', r, 'alert', NOW);
    const declarative = weigh('webpush', r, 'alert', NOW, { format: 'declarative' });
    expect(declarative).toBeGreaterThan(classic);
    expect(webpush.payloadBytes(r, 'alert', NOW, declarativeCredential, {})).toBe(declarative);
    expect(webpush.payloadBytes(r, 'alert', NOW, declarativeCredential, { format: 'service-worker' })).toBe(classic);
    // A credential that names no page cannot build a declarative push: the client sends the v1 message.
    const { navigate: _, ...pageless } = WEBPUSH;
    expect(webpush.payloadBytes(r, 'alert', NOW, pageless, { format: 'declarative' })).toBe(classic);
  });
});

describe('maxPayloadBytes (docs/providers.md)', () => {
  it('is 4096 for FCM data, the HMS message, a Web Push body and an APNs alert; 5120 for APNs VoIP', () => {
    expect(providerModule('fcm')!.maxPayloadBytes('alert')).toBe(4096);
    expect(providerModule('hms')!.maxPayloadBytes('alert')).toBe(4096);
    expect(providerModule('webpush')!.maxPayloadBytes('alert')).toBe(4096);
    expect(providerModule('apns')!.maxPayloadBytes('alert')).toBe(4096);
    expect(providerModule('apns')!.maxPayloadBytes('voip')).toBe(5120);
  });
});
