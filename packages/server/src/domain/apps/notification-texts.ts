import { Type } from 'typebox';
import { InvalidInput } from '#kernel';

/** The visible notifications the gateway writes (docs/notifications.md#texts). */
const TEXT_KEYS = [
  'incomingCall',
  'incomingVideoCall',
  'missedCall',
  'missedVideoCall',
  'callCancelled',
  'answeredElsewhere',
  'callDeclined',
  'callEnded',
] as const;

export type TextKey = (typeof TEXT_KEYS)[number];

/**
 * One notification's texts, with `{displayName}` and `{from}` placeholders. `titleLocKey` and `locKey` name
 * strings of the iOS app's own Localizable.strings, which APNs alert devices prefer to `title` and `body`.
 */
export interface TextTemplate {
  title: string;
  body: string;
  titleLocKey?: string;
  locKey?: string;
}

export type LocaleTexts = Partial<Record<TextKey, TextTemplate>>;

/** An app's texts: per locale tag, any of the keys; what a locale lacks comes from the fallbacks. */
export interface NotificationTexts {
  defaultLocale: string;
  locales: Record<string, LocaleTexts>;
}

// The ones render-text.ts fills in.
const PLACEHOLDERS = ['displayName', 'from'] as const;

/** Bounds of a document: they keep it (and every push it words) small. */
const MAX_LOCALES = 50;
export const MAX_TEXT_CHARS = 256;

/** The texts of an app that stored none, and the last fallback of every key. */
export const BUILT_IN_TEXTS: Record<TextKey, TextTemplate> = {
  incomingCall: { title: '{displayName}', body: 'Incoming call' },
  incomingVideoCall: { title: '{displayName}', body: 'Incoming video call' },
  missedCall: { title: 'Missed call', body: '{displayName}' },
  missedVideoCall: { title: 'Missed video call', body: '{displayName}' },
  callCancelled: { title: '{displayName}', body: 'Call cancelled' },
  answeredElsewhere: { title: '{displayName}', body: 'Answered on another device' },
  callDeclined: { title: '{displayName}', body: 'Declined on another device' },
  callEnded: { title: '{displayName}', body: 'Call ended' },
};

export const BUILT_IN_LOCALE = 'en';

// BCP 47 shape (language, then subtags: `en`, `de-AT`, `zh-Hant-TW`), as a device registration takes it.
const LOCALE_PATTERN = '^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$';
const LOCALE_MAX_LENGTH = 35;
const LocaleTag = Type.String({ pattern: LOCALE_PATTERN, maxLength: LOCALE_MAX_LENGTH, description: 'e.g. de-AT' });
const Text = Type.String({ maxLength: MAX_TEXT_CHARS });
const LocKey = Type.String({ minLength: 1, maxLength: MAX_TEXT_CHARS });
const strict = { additionalProperties: false } as const;

const TemplateSchema = Type.Object(
  { title: Text, body: Text, titleLocKey: Type.Optional(LocKey), locKey: Type.Optional(LocKey) },
  strict,
);
const LocaleTextsSchema = Type.Object(
  Object.fromEntries(TEXT_KEYS.map((k) => [k, Type.Optional(TemplateSchema)])) as Record<
    TextKey,
    Type.TOptional<typeof TemplateSchema>
  >,
  strict,
);

/** Body of `PUT /v1/apps/{appKey}/notifications`. */
export const NotificationTextsSchema = Type.Object(
  {
    defaultLocale: Type.Optional(LocaleTag),
    locales: Type.Record(LocaleTag, LocaleTextsSchema, {
      maxProperties: MAX_LOCALES,
      additionalProperties: false,
      // A record's key schema becomes a pattern only: its length bound is stated again here.
      propertyNames: { maxLength: LOCALE_MAX_LENGTH },
    }),
  },
  strict,
);

/** What a PUT may leave out: `defaultLocale` is then English. */
export type NotificationTextsInput = Omit<NotificationTexts, 'defaultLocale'> & { defaultLocale?: string };

const PLACEHOLDER = /\{([^{}]*)\}/g;

/**
 * The document as stored, after the checks a schema cannot make: only known placeholders, and no two locale
 * tags that differ only in case (tags are case-insensitive). Throws InvalidInput naming the field.
 */
export function checkNotificationTexts(input: NotificationTextsInput): NotificationTexts {
  const tags = new Set<string>();
  for (const [tag, texts] of Object.entries(input.locales)) {
    if (tags.has(tag.toLowerCase())) {
      throw new InvalidInput(
        'validation_failed',
        `locales.${tag} repeats a locale tag (tags ignore case)`,
        `locales.${tag}`,
      );
    }
    tags.add(tag.toLowerCase());
    for (const [key, template] of Object.entries(texts)) {
      for (const part of ['title', 'body'] as const) {
        checkPlaceholders(template?.[part] ?? '', `locales.${tag}.${key}.${part}`);
      }
    }
  }
  return { defaultLocale: input.defaultLocale ?? BUILT_IN_LOCALE, locales: input.locales };
}

function checkPlaceholders(text: string, field: string): void {
  for (const [, name] of text.matchAll(PLACEHOLDER)) {
    if (!(PLACEHOLDERS as readonly string[]).includes(name ?? '')) {
      throw new InvalidInput(
        'validation_failed',
        `${field} has an unknown placeholder {${name}}: use ${PLACEHOLDERS.map((p) => `{${p}}`).join(' or ')}`,
        field,
      );
    }
  }
}
