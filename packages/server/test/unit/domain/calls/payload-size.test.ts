import { createECDH } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { messageFor } from '../../../../src/domain/calls/messages.js';
import type { Call } from '../../../../src/domain/calls/model.js';
import type { TextSource } from '../../../../src/domain/calls/notification-text.js';
import { checkRingsFit, type RingDevice } from '../../../../src/domain/calls/payload-size.js';
import type { PushRequest } from '../../../../src/providers/contract.js';
import { fcmData, oversizeOutcome } from '../../../../src/providers/fcm/message.js';
import type { ProviderCredential } from '../../../../src/providers/registry.js';
import { buildWebPushRequest, webPushPlaintext } from '../../../../src/providers/webpush/request.js';
import { apnsCredential, fcmCredential, hmsCredential, webPushCredential } from '../../../support/credentials.js';
import { aCall, T0 } from '../../fixtures.js';

/** The app's credentials, named after their types; the Web Push one of the default format, naming its page. */
const WEBPUSH = { ...webPushCredential(), navigate: 'https://app.example/calls/{callId}' };
const CREDENTIALS: Record<string, ProviderCredential> = {
  fcm: fcmCredential(),
  hms: hmsCredential(),
  apns: apnsCredential(),
  webpush: WEBPUSH,
};
const credentials = {
  credential: async (_app: string, name: string) =>
    // A credential of a type this version does not know (written by a newer one).
    name === 'future' ? ({ type: 'future' } as unknown as ProviderCredential) : CREDENTIALS[name],
};

/** The ring's text: the caller's name and a fixed body, or longer words for the locales given. */
function textsOf(byLocale: Record<string, { title: string; body: string }> = {}): TextSource {
  return {
    settingsOf: async () => {
      throw new Error('a ring needs no settings');
    },
    textFor: async (_app, key, locale, vars) => {
      expect(key).toMatch(/^incoming/);
      return byLocale[locale ?? ''] ?? { title: vars.displayName ?? vars.from, body: 'Incoming call' };
    },
  };
}

/** A text as long as an app may store, of characters JSON escapes to 6 bytes each. */
const LONG_TEXT = { title: '\u0007'.repeat(256), body: '\u0007'.repeat(256) };

const device = (provider: string, kind: 'voip' | 'alert' = 'alert', more: Partial<RingDevice> = {}): RingDevice => ({
  userId: 'bob',
  provider,
  kind,
  ...more,
});
const declarative = (more: Partial<RingDevice> = {}) => device('webpush', 'alert', { format: 'declarative', ...more });
const every = [device('fcm'), device('hms'), device('apns', 'voip'), device('apns'), device('webpush'), declarative()];

/** The call's headers, each at most what the API lets through: 1024 bytes of keys plus values. */
const hostile: Record<string, Record<string, string>> = {
  'control characters': { k: '\u0001'.repeat(1023) },
  quotes: { q: '"'.repeat(1023) },
  backslashes: { b: '\\'.repeat(1023) },
  'many empty keys': Object.fromEntries(Array.from({ length: 340 }, (_, i) => [`k${i}`, ''])),
};

const refusal = (call: Call, devices: RingDevice[], texts = textsOf()) =>
  checkRingsFit({ credentials, texts }, call, devices, T0).then(
    () => undefined,
    (err: unknown) => err as { code: string; field: string; message: string },
  );

/** The largest `n` under 4096 for which `fits(n)` holds, `fits` being true up to some n and false after. */
async function largest(fits: (n: number) => Promise<boolean>): Promise<number> {
  let [yes, no] = [0, 4096];
  while (no - yes > 1) {
    const mid = Math.floor((yes + no) / 2);
    if (await fits(mid)) yes = mid;
    else no = mid;
  }
  return yes;
}

/** The body the Web Push client sends for `request`, in `format`, as the push service counts it. */
function webPushBody(request: PushRequest, format: 'declarative' | 'service-worker'): number {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const subscription = {
    endpoint: 'https://push.example.net/push/abc',
    keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: Buffer.alloc(16, 7).toString('base64url') },
  };
  const plaintext = webPushPlaintext(request, WEBPUSH, { format });
  return buildWebPushRequest(subscription, request, plaintext, 'vapid t=x, k=y', 30).body.length;
}

describe('checkRingsFit: a call is refused when a callee device could never be rung', () => {
  for (const [name, headers] of Object.entries(hostile)) {
    it(`refuses ${name} (payload_too_large, naming headers)`, async () => {
      const err = await refusal(aCall({ headers }), every);
      expect(err).toMatchObject({ code: 'payload_too_large', field: 'headers' });
    });
  }

  it('names the provider that cannot carry it and both sizes', async () => {
    // HMS escapes the message three times over (docs/providers.md#wire-format-v1): quotes cost it 8 bytes each.
    const err = await refusal(aCall({ headers: { q: '"'.repeat(600) } }), [device('apns', 'voip'), device('hms')]);
    expect(err?.message).toMatch(/ \d{4} bytes once wrapped for hms, which carries at most 4096$/);
  });

  it('accepts 1024 bytes of 4-byte UTF-8 on every provider and format: JSON leaves it unescaped', async () => {
    expect(await refusal(aCall({ headers: { e: '😀'.repeat(255) } }), every)).toBeUndefined();
  });

  it('measures each callee with its own id, and a call it accepts fits whenever its ring is sent', async () => {
    const callTo = (n: number, to: string) => aCall({ headers: { k: '"'.repeat(n) }, callees: { [to]: 'ringing' } });
    const fits = async (n: number, to: string) =>
      (await refusal(callTo(n, to), [device('fcm', 'alert', { userId: to })])) === undefined;
    // The largest header that fits FCM for callee `b`: callee `bb` makes the ring one byte longer.
    const n = await largest((k) => fits(k, 'b'));
    expect(n).toBeGreaterThan(500);
    expect(await fits(n, 'bb')).toBe(false);
    const call = callTo(n, 'b');
    for (const sentAt of [call.createdAt, call.expiresAt - 1]) {
      const request = { message: messageFor(call, { userId: 'b', type: 'ring' }, sentAt), deadline: call.expiresAt };
      expect(oversizeOutcome(fcmData({ ...request, collapseId: call.id }))).toBeUndefined();
    }
  });

  it('checks only the providers the callees have: a VoIP-only callee carries 5120 bytes', async () => {
    // 700 control characters escape to 4200 bytes of JSON: over an alert's 4096, under VoIP's 5120.
    const headers = { c: '\u0001'.repeat(700) };
    expect(await refusal(aCall({ headers }), [device('apns', 'voip')])).toBeUndefined();
    expect(await refusal(aCall({ headers }), [device('apns')])).toMatchObject({ code: 'payload_too_large' });
    expect(await refusal(aCall({ headers }), [])).toBeUndefined();
  });

  it('ignores a credential of a type it does not know, or one that is gone: their rings fail on their own', async () => {
    expect(await refusal(aCall({ headers: hostile.quotes! }), [device('future'), device('deleted')])).toBeUndefined();
  });
});

describe('checkRingsFit: declarative Web Push and the text a ring shows (docs/providers.md#webpush-declarative)', () => {
  const callWith = (n: number, more: Partial<Call> = {}) => aCall({ headers: { k: 'a'.repeat(n) }, ...more });
  const fits = async (n: number, d: RingDevice, more: Partial<Call> = {}) =>
    (await refusal(callWith(n, more), [d])) === undefined;

  it('lets a declarative ring through up to exactly the 4096 bytes of the body, as the client builds it', async () => {
    const n = await largest((k) => fits(k, declarative()));
    const call = callWith(n);
    const request = (c: Call): PushRequest => ({
      message: messageFor(c, { userId: 'bob', type: 'ring' }, c.expiresAt),
      deadline: c.expiresAt,
      collapseId: c.id,
      notification: { title: 'alice', body: 'Incoming call', visibleOnData: false },
    });
    // One byte of header is one byte of body: the largest accepted ring is the limit itself, one more is over.
    expect(webPushBody(request(call), 'declarative')).toBe(4096);
    expect(webPushBody(request(callWith(n + 1)), 'declarative')).toBe(4097);
    const err = await refusal(callWith(n + 1), [declarative()]);
    expect(err).toMatchObject({ code: 'payload_too_large', field: 'headers' });
    expect(err?.message).toMatch(/ 4097 bytes once wrapped for webpush \(declarative\), which carries at most 4096$/);
  });

  it('refuses for a declarative registration what fits its service-worker neighbour on the same credential', async () => {
    const n = await largest((k) => fits(k, declarative()));
    expect(await fits(n + 1, device('webpush'))).toBe(true);
    expect(await fits(n + 1, device('webpush', 'alert', { format: 'service-worker' }))).toBe(true);
    // The v1 message alone: the declarative shape adds its notification, the page and the mark.
    const classic = await largest((k) => fits(k, device('webpush')));
    expect(classic - n).toBeGreaterThan(100);
  });

  it("counts the ring's text in the device's language where the push shows it: APNs alert, declarative Web Push", async () => {
    // 256 characters each, the most a text may have, of a kind JSON escapes to 6 bytes.
    const texts = textsOf({ ja: LONG_TEXT });
    const headers = { k: 'a'.repeat(1000) };
    for (const shown of [device('apns', 'alert', { locale: 'ja' }), declarative({ locale: 'ja' })]) {
      expect(await refusal(aCall({ headers }), [shown], texts)).toMatchObject({ code: 'payload_too_large' });
      // The same device in a language with shorter words fits.
      expect(await refusal(aCall({ headers }), [{ ...shown, locale: 'en' }], texts)).toBeUndefined();
    }
    // A VoIP ring, a data-only ring and a service-worker Web Push ring carry no text: the words cost them nothing.
    for (const silent of [device('apns', 'voip'), device('fcm'), device('hms'), device('webpush')]) {
      expect(await refusal(aCall({ headers }), [{ ...silent, locale: 'ja' }], texts)).toBeUndefined();
    }
  });

  it('names the display name when a call without headers is too large', async () => {
    const call = aCall({ headers: {}, displayName: '\u0001'.repeat(128) });
    const err = await refusal(call, [declarative({ locale: 'ja' })], textsOf({ ja: LONG_TEXT }));
    expect(err).toMatchObject({ code: 'payload_too_large', field: 'displayName' });
    expect(err?.message).toMatch(/^with this display name the ring to bob is \d{4} bytes/);
  });
});
