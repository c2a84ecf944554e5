import { describe, expect, it } from 'vitest';
import {
  checkChoices,
  checkDistinctTokens,
  entriesOf,
  inEntry,
} from '../../../../src/domain/devices/register-input.js';
import { InvalidInput } from '../../../../src/kernel/index.js';

const voip = { provider: 'apns-voip', token: 'v'.repeat(64), kind: 'voip' as const };
const alert = { provider: 'apns', token: 'a'.repeat(64), kind: 'alert' as const };

/** The field an input error names, or undefined when the input passes. */
function fieldOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (err) {
    if (!(err instanceof InvalidInput)) throw err;
    return err.field;
  }
}

describe('entriesOf', () => {
  it('takes the original one-registration body as one entry whose fields keep their names', () => {
    expect(entriesOf({ ...alert, locale: 'pt-BR' })).toEqual({ entries: [{ ...alert, prefix: '' }], locale: 'pt-BR' });
  });

  it('takes a list of a voip and an alert registration, each entry knowing where it sat', () => {
    const { entries, locale } = entriesOf({ registrations: [alert, voip] });
    expect(entries.map((e) => [e.kind, e.prefix])).toEqual([
      ['alert', 'registrations.0.'],
      ['voip', 'registrations.1.'],
    ]);
    expect(locale).toBeUndefined();
  });

  it('refuses two registrations of one kind, naming the second', () => {
    expect(fieldOf(() => entriesOf({ registrations: [voip, { ...voip, token: 'w'.repeat(64) }] }))).toBe(
      'registrations.1.kind',
    );
  });

  it('refuses an empty list and one longer than one per kind', () => {
    expect(fieldOf(() => entriesOf({ registrations: [] }))).toBe('registrations');
    expect(fieldOf(() => entriesOf({ registrations: [voip, alert, alert] }))).toBe('registrations');
  });

  it('accepts BCP 47 shaped locales and refuses others', () => {
    for (const locale of ['de', 'pt-BR', 'zh-Hant-TW', 'sr-Latn-RS', 'es-419']) {
      expect(
        fieldOf(() => entriesOf({ ...alert, locale })),
        locale,
      ).toBeUndefined();
    }
    for (const locale of ['', 'e', 'pt_BR', 'de-', '-de', 'en--US', 'fr\nX', `en-${'a1b2c3d4-'.repeat(4)}x`]) {
      expect(
        fieldOf(() => entriesOf({ registrations: [alert], locale })),
        JSON.stringify(locale),
      ).toBe('locale');
    }
  });
});

describe('checkChoices: a registration choice belongs to one provider', () => {
  const webPush = { provider: 'browser', token: '{}', kind: 'alert' as const };
  const typed = (input: Parameters<typeof entriesOf>[0], types: string[]) =>
    entriesOf(input).entries.map((e, i) => ({ ...e, providerType: types[i] as 'apns' }));

  it('keeps a Web Push format and an APNs environment on their own providers', () => {
    const entries = typed(
      {
        registrations: [
          { ...voip, environment: 'sandbox' },
          { ...webPush, format: 'declarative' },
        ],
      },
      ['apns', 'webpush'],
    );
    expect(entries.map((e) => [e.environment, e.format])).toEqual([
      ['sandbox', undefined],
      [undefined, 'declarative'],
    ]);
    for (const e of entries) expect(fieldOf(() => checkChoices(e))).toBeUndefined();
  });

  it('refuses either on another provider, naming the field where it sat', () => {
    const [inline] = typed({ ...alert, format: 'service-worker' }, ['apns']);
    expect(fieldOf(() => checkChoices(inline!))).toBe('format');
    const [, listed] = typed({ registrations: [voip, { ...webPush, environment: 'production' }] }, ['apns', 'webpush']);
    expect(fieldOf(() => checkChoices(listed!))).toBe('registrations.1.environment');
  });
});

describe('checkDistinctTokens', () => {
  it('refuses one token of one provider type given for both kinds, and allows it across types', () => {
    const [a, b] = entriesOf({ registrations: [voip, { ...alert, token: voip.token }] }).entries;
    expect(
      fieldOf(() =>
        checkDistinctTokens([
          { ...a!, providerType: 'apns' },
          { ...b!, providerType: 'apns' },
        ]),
      ),
    ).toBe('registrations.1.token');
    expect(
      fieldOf(() =>
        checkDistinctTokens([
          { ...a!, providerType: 'apns' },
          { ...b!, providerType: 'fcm' },
        ]),
      ),
    ).toBeUndefined();
  });
});

describe('inEntry', () => {
  const refusal = new InvalidInput('invalid_token', 'token.keys.p256dh is not a P-256 key', 'token.keys.p256dh');

  it('points a token check error at the list entry it is about', () => {
    const [, second] = entriesOf({ registrations: [voip, alert] }).entries;
    const err = inEntry(refusal, second!) as InvalidInput;
    expect([err.code, err.field, err.message]).toEqual([
      'invalid_token',
      'registrations.1.token.keys.p256dh',
      'registrations.1: token.keys.p256dh is not a P-256 key',
    ]);
  });

  it('leaves errors of the one-registration body and other failures as they are', () => {
    const [only] = entriesOf(alert).entries;
    expect(inEntry(refusal, only!)).toBe(refusal);
    const crash = new Error('database down');
    const [first] = entriesOf({ registrations: [alert] }).entries;
    expect(inEntry(crash, first!)).toBe(crash);
  });
});
