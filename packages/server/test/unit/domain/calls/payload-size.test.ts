import { describe, expect, it } from 'vitest';
import { messageFor } from '../../../../src/domain/calls/messages.js';
import type { Call } from '../../../../src/domain/calls/model.js';
import { checkRingsFit } from '../../../../src/domain/calls/payload-size.js';
import { fcmData, oversizeOutcome } from '../../../../src/providers/fcm/message.js';
import { aCall, T0 } from '../../fixtures.js';

type Device = Parameters<typeof checkRingsFit>[1][number];

const device = (providerType: string, kind: 'voip' | 'alert' = 'alert', userId = 'bob'): Device => ({
  userId,
  providerType,
  kind,
});
const every = [device('fcm'), device('hms'), device('apns', 'voip'), device('apns', 'alert'), device('webpush')];

/** The call's headers, each at most what the API lets through: 1024 bytes of keys plus values. */
const hostile: Record<string, Record<string, string>> = {
  'control characters': { k: '\u0001'.repeat(1023) },
  quotes: { q: '"'.repeat(1023) },
  backslashes: { b: '\\'.repeat(1023) },
  'many empty keys': Object.fromEntries(Array.from({ length: 340 }, (_, i) => [`k${i}`, ''])),
};

const refusal = (call: Call, devices: Device[]) => {
  try {
    checkRingsFit(call, devices, T0);
    return undefined;
  } catch (err) {
    return err as { code: string; field: string; message: string };
  }
};

describe('checkRingsFit: a call is refused when a callee device could never be rung', () => {
  for (const [name, headers] of Object.entries(hostile)) {
    it(`refuses ${name} (payload_too_large, naming headers)`, () => {
      const err = refusal(aCall({ headers }), every);
      expect(err).toMatchObject({ code: 'payload_too_large', field: 'headers' });
    });
  }

  it('names the provider that cannot carry it and both sizes', () => {
    // HMS escapes the message three times over (docs/providers.md#wire-format-v1): quotes cost it 8 bytes each.
    const err = refusal(aCall({ headers: { q: '"'.repeat(600) } }), [device('apns', 'voip'), device('hms')]);
    expect(err?.message).toMatch(/ \d{4} bytes once wrapped for hms, which carries at most 4096$/);
  });

  it('accepts 1024 bytes of 4-byte UTF-8 on every provider: JSON leaves it unescaped', () => {
    expect(refusal(aCall({ headers: { e: '😀'.repeat(255) } }), every)).toBeUndefined();
  });

  it('measures each callee with its own id, and a call it accepts fits whenever its ring is sent', () => {
    const callTo = (n: number, to: string) => aCall({ headers: { k: '"'.repeat(n) }, callees: { [to]: 'ringing' } });
    const fits = (n: number, to: string) => refusal(callTo(n, to), [device('fcm', 'alert', to)]) === undefined;
    // The largest header that fits FCM for callee `b`: callee `bb` makes the ring one byte longer.
    let n = 0;
    while (fits(n + 1, 'b')) n += 1;
    expect(n).toBeGreaterThan(500);
    expect(fits(n, 'bb')).toBe(false);
    const call = callTo(n, 'b');
    for (const sentAt of [call.createdAt, call.expiresAt - 1]) {
      const request = { message: messageFor(call, { userId: 'b', type: 'ring' }, sentAt), deadline: call.expiresAt };
      expect(oversizeOutcome(fcmData({ ...request, collapseId: call.id }))).toBeUndefined();
    }
  });

  it('checks only the providers the callees have: a VoIP-only callee carries 5120 bytes', () => {
    // 700 control characters escape to 4200 bytes of JSON: over an alert's 4096, under VoIP's 5120.
    const headers = { c: '\u0001'.repeat(700) };
    expect(refusal(aCall({ headers }), [device('apns', 'voip')])).toBeUndefined();
    expect(refusal(aCall({ headers }), [device('apns', 'alert')])).toMatchObject({ code: 'payload_too_large' });
    expect(refusal(aCall({ headers }), [])).toBeUndefined();
  });

  it('ignores a provider type it does not know (a device row written by a newer version)', () => {
    expect(refusal(aCall({ headers: hostile.quotes! }), [device('future')])).toBeUndefined();
  });
});
