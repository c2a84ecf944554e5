import {
  BUILT_IN_TEXTS,
  type LocaleTexts,
  MAX_TEXT_CHARS,
  type NotificationTexts,
  type TextKey,
  type TextTemplate,
} from './notification-texts.js';

/** A notification's texts in the recipient's language, ready for a provider. */
export interface RenderedText {
  title: string;
  body: string;
  titleLocKey?: string;
  locKey?: string;
  /** With a loc key: `%1$@` is the display name (or the caller id without one), `%2$@` the caller id. */
  locArgs?: string[];
}

export interface TextVars {
  from: string;
  displayName?: string;
}

/** An app's document indexed by lower-case tag: the form the ring path looks texts up in. */
export interface TextBook {
  defaultLocale: string;
  locales: Map<string, LocaleTexts>;
}

export function textBook(doc: NotificationTexts | undefined): TextBook {
  if (!doc) return { defaultLocale: '', locales: new Map() };
  return {
    defaultLocale: doc.defaultLocale.toLowerCase(),
    locales: new Map(Object.entries(doc.locales).map(([tag, texts]) => [tag.toLowerCase(), texts])),
  };
}

/** `de-AT` then `de`; `zh-Hant-TW` then `zh-Hant` then `zh`. */
function lookupChain(locale: string): string[] {
  const parts = locale.toLowerCase().split(/[-_]/).filter(Boolean);
  return parts.map((_, i) => parts.slice(0, parts.length - i).join('-'));
}

/** The template of `key`: the device's locale and its parents, then the app's default locale, then built-in. */
export function resolveTemplate(book: TextBook, key: TextKey, locale: string | undefined): TextTemplate {
  for (const tag of [...(locale ? lookupChain(locale) : []), book.defaultLocale]) {
    const template = book.locales.get(tag)?.[key];
    if (template) return template;
  }
  return BUILT_IN_TEXTS[key];
}

/** Fills the placeholders with the values as they are (no escaping: no provider interprets markup). */
export function renderText(template: TextTemplate, vars: TextVars): RenderedText {
  const name = vars.displayName || vars.from;
  const fill = (text: string) =>
    bound(text.replace(/\{(displayName|from)\}/g, (_, p: string) => (p === 'from' ? vars.from : name)));
  const rendered: RenderedText = { title: fill(template.title), body: fill(template.body) };
  if (template.titleLocKey) rendered.titleLocKey = template.titleLocKey;
  if (template.locKey) rendered.locKey = template.locKey;
  if (template.titleLocKey || template.locKey) rendered.locArgs = [bound(name), bound(vars.from)];
  return rendered;
}

/** At most MAX_TEXT_CHARS characters, cut between code points, so a long name cannot swell a push. */
function bound(text: string): string {
  const chars = Array.from(text);
  return chars.length <= MAX_TEXT_CHARS ? text : `${chars.slice(0, MAX_TEXT_CHARS - 1).join('')}…`;
}
