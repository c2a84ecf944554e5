import { describe, expect, it } from 'vitest';
import {
  BUILT_IN_TEXTS,
  checkNotificationTexts,
  type NotificationTexts,
} from '../../../../src/domain/apps/notification-texts.js';
import { renderText, resolveTemplate, textBook } from '../../../../src/domain/apps/render-text.js';
import { InvalidInput } from '../../../../src/kernel/index.js';

const doc: NotificationTexts = {
  defaultLocale: 'fr',
  locales: {
    fr: {
      incomingCall: { title: '{displayName}', body: 'Appel entrant' },
      missedCall: { title: 'Appel manqué', body: '{displayName}' },
    },
    de: { incomingCall: { title: '{displayName}', body: 'Eingehender Anruf' } },
    'DE-at': { missedCall: { title: 'Verpasster Anruf', body: 'von {displayName} ({from})' } },
  },
};

describe('resolveTemplate', () => {
  const book = textBook(doc);

  it('takes the exact tag first, whatever its case', () => {
    expect(resolveTemplate(book, 'missedCall', 'de-AT').title).toBe('Verpasster Anruf');
    expect(resolveTemplate(book, 'missedCall', 'de_at').title).toBe('Verpasster Anruf');
  });

  it('falls back per key: the language, then the default locale, then the built-in text', () => {
    expect(resolveTemplate(book, 'incomingCall', 'de-AT').body).toBe('Eingehender Anruf');
    expect(resolveTemplate(book, 'missedCall', 'de').title).toBe('Appel manqué');
    expect(resolveTemplate(book, 'callEnded', 'de-AT')).toEqual(BUILT_IN_TEXTS.callEnded);
  });

  it('uses the default locale for a device without a locale or with one the app has no texts for', () => {
    expect(resolveTemplate(book, 'incomingCall', undefined).body).toBe('Appel entrant');
    expect(resolveTemplate(book, 'incomingCall', 'ja-JP').body).toBe('Appel entrant');
  });

  it('strips one subtag at a time', () => {
    const zh = textBook({
      defaultLocale: 'en',
      locales: { 'zh-Hant': { callEnded: { title: '{displayName}', body: '通話結束' } } },
    });
    expect(resolveTemplate(zh, 'callEnded', 'zh-Hant-TW').body).toBe('通話結束');
    expect(resolveTemplate(zh, 'callEnded', 'zh-Hans-CN').body).toBe('Call ended');
  });

  it('gives an app without a document the built-in English texts', () => {
    expect(resolveTemplate(textBook(undefined), 'answeredElsewhere', 'de').body).toBe('Answered on another device');
  });
});

describe('renderText', () => {
  it('fills the placeholders, the display name falling back to the caller id', () => {
    const template = { title: '{displayName}', body: 'von {displayName} ({from})' };
    expect(renderText(template, { from: 'alice', displayName: 'Alice A.' })).toEqual({
      title: 'Alice A.',
      body: 'von Alice A. (alice)',
    });
    expect(renderText(template, { from: 'alice' })).toEqual({ title: 'alice', body: 'von alice (alice)' });
    expect(renderText(template, { from: 'alice', displayName: '' }).title).toBe('alice');
  });

  it('inserts values verbatim, even when they look like placeholders or replacement patterns', () => {
    const r = renderText({ title: '{displayName}', body: '' }, { from: 'b', displayName: "$& {from} <b>x</b> $'" });
    expect(r.title).toBe("$& {from} <b>x</b> $'");
  });

  it('bounds a rendered text at 256 characters without splitting a character', () => {
    const r = renderText(
      { title: '{displayName}{displayName}', body: 'x' },
      { from: 'a', displayName: '😀'.repeat(200) },
    );
    expect(Array.from(r.title)).toHaveLength(256);
    expect(r.title.endsWith('😀…')).toBe(true);
  });

  it('adds the loc args (display name or caller id, then caller id) only with a loc key', () => {
    const withKeys = renderText(
      { title: 'Missed call', body: '{displayName}', titleLocKey: 'MISSED_TITLE', locKey: 'MISSED_BODY' },
      { from: 'alice' },
    );
    expect(withKeys).toMatchObject({ titleLocKey: 'MISSED_TITLE', locKey: 'MISSED_BODY', locArgs: ['alice', 'alice'] });
    const bodyKeyOnly = renderText({ title: 't', body: 'b', locKey: 'K' }, { from: 'bob', displayName: 'Bob' });
    expect(bodyKeyOnly).toEqual({ title: 't', body: 'b', locKey: 'K', locArgs: ['Bob', 'bob'] });
    expect(renderText({ title: 't', body: 'b' }, { from: 'bob' })).not.toHaveProperty('locArgs');
  });
});

describe('checkNotificationTexts', () => {
  function refusal(input: Parameters<typeof checkNotificationTexts>[0]): InvalidInput {
    try {
      checkNotificationTexts(input);
    } catch (err) {
      if (err instanceof InvalidInput) return err;
      throw err;
    }
    throw new Error('accepted');
  }

  it('refuses an unknown placeholder, naming the field', () => {
    const err = refusal({
      locales: { de: { missedCall: { title: 'Verpasst: {user}', body: '{displayName}' } } },
    });
    expect([err.code, err.field]).toEqual(['validation_failed', 'locales.de.missedCall.title']);
    expect(err.message).toContain('{user}');
    expect(refusal({ locales: { en: { callEnded: { title: 'x', body: '{ from }' } } } }).field).toBe(
      'locales.en.callEnded.body',
    );
  });

  it('refuses two tags that differ only in case', () => {
    const template = { title: 'a', body: 'b' };
    expect(refusal({ locales: { de: { callEnded: template }, DE: { callEnded: template } } }).field).toBe('locales.DE');
  });

  it('accepts lone braces as text and defaults the locale to English', () => {
    const checked = checkNotificationTexts({
      locales: { de: { callEnded: { title: '{displayName} {', body: '} {from}' } } },
    });
    expect(checked.defaultLocale).toBe('en');
  });
});
