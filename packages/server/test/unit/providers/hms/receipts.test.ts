import { hmsCallbackId } from '@callpush/emulators';
import { describe, expect, it } from 'vitest';
import { NonceCache } from '../../../../src/integrations/hms-receipts/nonces.js';
import { hmsMessageBytes, hmsSendBody, hmsV3SendBody } from '../../../../src/providers/hms/message.js';
import {
  CALLBACK_TOLERANCE_MS,
  hmsReceiptStatus,
  verifyHmsCallbackId,
} from '../../../../src/providers/hms/receipts.js';
import { aRingRequest } from '../../fixtures.js';

const NOW = 1_767_229_200_000;
const SECRET = { username: 'callpush', key: 'the-callback-key' };

describe('hmsReceiptStatus: what each receipt status means (docs/providers.md#hms-receipts)', () => {
  it('0 is delivered to the device', () => {
    expect(hmsReceiptStatus(0)).toEqual({ kind: 'delivered', reason: 'HMS receipt 0: delivered to the device' });
  });

  it.each([2, 5, 6, 10, 14, 15, 22, 31, 102, 144])('%i did not reach the app and will not', (status) => {
    const { kind, reason } = hmsReceiptStatus(status);
    expect(kind).toBe('undelivered');
    expect(reason).toMatch(new RegExp(`^HMS receipt ${status}: \\S`));
  });

  it.each([27, 51, 201])('%i is held on the way: it may still arrive while its TTL lasts', (status) => {
    expect(hmsReceiptStatus(status).kind).toBe('held');
  });

  it('words the common failures plainly', () => {
    expect(hmsReceiptStatus(2).reason).toBe('HMS receipt 2: the app is not installed on the device');
    expect(hmsReceiptStatus(10).reason).toMatch(/has not connected to Push Kit for 30 days/);
    expect(hmsReceiptStatus(27).reason).toMatch(/app was not running/);
  });

  it('a status callpush does not know is unknown, never taken for a failure', () => {
    expect(hmsReceiptStatus(999)).toEqual({
      kind: 'unknown',
      reason: 'HMS receipt 999: a status callpush does not know',
    });
    expect(hmsReceiptStatus(Number('constructor')).kind).toBe('unknown');
  });
});

describe('verifyHmsCallbackId: X-HUAWEI-CALLBACK-ID', () => {
  const header = (secret = SECRET, timestamp = NOW, nonce = 'a07bfa17-6d82-4b53-a9a2-07cfef5ceef1') =>
    hmsCallbackId(secret.username, secret.key, timestamp, nonce);

  it("accepts Huawei's header, as the emulator signs it, and says which secrets it matches", () => {
    const other = { username: 'other', key: 'another-key' };
    expect(verifyHmsCallbackId(header(), [other, SECRET], NOW)).toEqual({
      timestamp: NOW,
      nonce: 'a07bfa17-6d82-4b53-a9a2-07cfef5ceef1',
      matches: [1],
    });
  });

  it('reads spaces after the separators, and a timestamp in seconds', () => {
    const spaced = header().replaceAll(';', '; ');
    expect(verifyHmsCallbackId(spaced, [SECRET], NOW).matches).toEqual([0]);
    const seconds = header(SECRET, NOW / 1000);
    expect(verifyHmsCallbackId(seconds, [SECRET], NOW).timestamp).toBe(NOW);
  });

  it.each([
    ['no header', undefined, /missing/],
    ['another key', hmsCallbackId(SECRET.username, 'wrong-key', NOW, 'n'), /does not match/],
    ['another user name', hmsCallbackId('someone', SECRET.key, NOW, 'n'), /does not match/],
    ['a missing part', 'timestamp=1;nonce=n', /must be timestamp/],
    ['a timestamp that is no number', 'timestamp=abc;nonce=n;value=x', /epoch milliseconds/],
    ['a stale timestamp', hmsCallbackId(SECRET.username, SECRET.key, NOW - CALLBACK_TOLERANCE_MS - 1, 'n'), /too old/],
    ['a value that is no base64 HMAC', `timestamp=${NOW};nonce=n;value=!!!`, /does not match/],
    ['a huge header', `timestamp=${NOW};nonce=${'n'.repeat(2000)};value=x`, /too long/],
  ])('refuses %s with 401 invalid_webhook_signature', (_what, value, message) => {
    expect(() => verifyHmsCallbackId(value, [SECRET], NOW)).toThrow(message);
    try {
      verifyHmsCallbackId(value, [SECRET], NOW);
    } catch (err) {
      expect(err).toMatchObject({ code: 'invalid_webhook_signature' });
    }
  });
});

describe('NonceCache: a callback id is good once', () => {
  it('refuses a nonce while kept, takes it again once released or expired, and stays bounded', () => {
    const cache = new NonceCache(1000, 2);
    expect(cache.claim('a', 0)).toBe(true);
    expect(cache.claim('a', 500)).toBe(false);
    cache.release('a');
    expect(cache.claim('a', 600)).toBe(true);
    expect(cache.claim('a', 1700)).toBe(true);
    expect(cache.claim('b', 1700)).toBe(true);
    expect(cache.claim('c', 1700)).toBe(true);
    // The oldest gave way to keep the bound.
    expect(cache.claim('a', 1700)).toBe(true);
  });
});

describe('the receipt configuration on sends', () => {
  it('v1 names it as android.receipt_id, v3 as pushOptions.receiptId; without one neither appears', () => {
    expect(JSON.parse(hmsSendBody(['t'], aRingRequest(), 27, 'RCP1')).message.android.receipt_id).toBe('RCP1');
    expect(JSON.parse(hmsSendBody(['t'], aRingRequest(), 27)).message.android).not.toHaveProperty('receipt_id');
    expect(JSON.parse(hmsV3SendBody(['t'], aRingRequest(), 27, 'RCP1')).pushOptions).toEqual({
      ttl: 27,
      receiptId: 'RCP1',
    });
  });

  it('counts it against the 4096 bytes', () => {
    const request = aRingRequest();
    expect(hmsMessageBytes(request, 27, 'RCP1') - hmsMessageBytes(request, 27)).toBe(',"receipt_id":"RCP1"'.length);
  });
});
