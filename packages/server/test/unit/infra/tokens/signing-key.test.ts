import { describe, expect, it } from 'vitest';
import { dateOfKid, deriveSigningKey, kidFor, utcDateStamp } from '../../../../src/infra/tokens/signing-key.js';

describe('dateOfKid', () => {
  const real: Array<[string, string]> = [
    ['hkdfv1-20180102', '20180102'],
    ['hkdfv1-20240229', '20240229'],
    ['hkdfv1-20001231', '20001231'],
  ];

  it.each(real)('%s names the date %s', (kid, date) => {
    expect(dateOfKid(kid)).toBe(date);
  });

  const refused: Array<[string, unknown]> = [
    ['29 February of a common year', 'hkdfv1-20230229'],
    ['29 February of a century year that is not a leap year', 'hkdfv1-21000229'],
    ['31 April', 'hkdfv1-20240431'],
    ['month 13', 'hkdfv1-20241301'],
    ['month 00', 'hkdfv1-20240001'],
    ['day 00', 'hkdfv1-20240100'],
    ['day 32', 'hkdfv1-20240132'],
    ['another scheme', 'hkdfv2-20240101'],
    ['a date with dashes', 'hkdfv1-2024-01-01'],
    ['a short date', 'hkdfv1-2024011'],
    ['trailing text', 'hkdfv1-20240101x'],
    ['leading text', 'xhkdfv1-20240101'],
    ['not a string', 20240101],
    ['undefined', undefined],
  ];

  it.each(refused)('refuses %s', (_name, kid) => {
    expect(dateOfKid(kid)).toBeUndefined();
  });
});

describe('kidFor and utcDateStamp', () => {
  it("use the UTC date, whatever the server's time zone", () => {
    const lastSecondOfDay = Date.UTC(2018, 0, 2, 23, 59, 59) / 1000;
    expect(utcDateStamp(lastSecondOfDay)).toBe('20180102');
    expect(utcDateStamp(lastSecondOfDay + 1)).toBe('20180103');
    expect(kidFor(Date.UTC(2018, 0, 2, 3, 4, 5) / 1000)).toBe('hkdfv1-20180102');
  });

  it('a kid made for a time reads back as that date', () => {
    const t = Date.UTC(2026, 11, 1, 10, 0, 0) / 1000;
    expect(dateOfKid(kidFor(t))).toBe(utcDateStamp(t));
  });
});

describe('deriveSigningKey', () => {
  it('matches the test vector of docs/access-tokens.md', () => {
    const key = deriveSigningKey('ax8hTTQJF0OPXL32r1LHMA==', '20180102');
    expect(Buffer.from(key).toString('hex')).toBe('0198f912c4bc4bbc1bd3ac6be63111a8f1ecada42ddf0ffe221e447eb862b014');
  });

  it('gives another key on another day', () => {
    const a = deriveSigningKey('ax8hTTQJF0OPXL32r1LHMA==', '20180102');
    const b = deriveSigningKey('ax8hTTQJF0OPXL32r1LHMA==', '20180103');
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
  });
});
