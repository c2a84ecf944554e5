import type { Store } from '#infra/store';
import { type Clock, systemClock, Unauthenticated } from '#kernel';
import { AppsRepository } from './apps-repository.js';
import {
  BUILT_IN_LOCALE,
  BUILT_IN_TEXTS,
  checkNotificationTexts,
  type NotificationTexts,
  type NotificationTextsInput,
  type TextKey,
} from './notification-texts.js';
import {
  type RenderedText,
  renderText,
  resolveTemplate,
  type TextBook,
  type TextVars,
  textBook,
} from './render-text.js';
import { type AppSettings, type AppSettingsPatch, mergeSettings, parseSettings } from './settings.js';

/** How long a node keeps an app's settings and texts; bounds how long a change elsewhere goes unheard of. */
const CACHE_MS = 30_000;

/** An app's texts as the API shows them: the stored document, or the built-in one. */
export interface NotificationTextsView extends NotificationTexts {
  builtIn: boolean;
}

interface Preferences {
  settings: AppSettings;
  texts: NotificationTexts | undefined;
  book: TextBook;
}

export interface AppSettingsDeps {
  store: Store;
  now?: Clock;
}

/**
 * Per-app settings and notification texts. Read on every ring, cancel and missed-call notice, so each node
 * keeps them for CACHE_MS: a cached app costs no query. A change here is heard by `onChange` listeners (other
 * nodes then `forget` the app).
 */
export class AppSettingsService {
  private readonly repo: AppsRepository;
  private readonly now: Clock;
  // The load itself is kept, so the rings of a burst for one app share one query.
  private readonly cache = new Map<string, { load: Promise<Preferences>; until: number }>();
  private readonly changeListeners: Array<(appKey: string) => void> = [];

  constructor(deps: AppSettingsDeps) {
    this.repo = new AppsRepository(deps.store);
    this.now = deps.now ?? systemClock;
  }

  async settingsOf(appKey: string): Promise<AppSettings> {
    return (await this.preferences(appKey)).settings;
  }

  /** Merges `patch` into the stored settings; the whole result back. */
  async putSettings(appKey: string, patch: AppSettingsPatch): Promise<AppSettings> {
    const json = await this.repo.updateSettings(appKey, (current) =>
      JSON.stringify(mergeSettings(parseSettings(current), patch)),
    );
    if (json === undefined) throw unknownApp();
    this.changed(appKey);
    return parseSettings(json);
  }

  async notificationsOf(appKey: string): Promise<NotificationTextsView> {
    const { texts } = await this.preferences(appKey);
    return texts
      ? { ...texts, builtIn: false }
      : { defaultLocale: BUILT_IN_LOCALE, locales: { [BUILT_IN_LOCALE]: BUILT_IN_TEXTS }, builtIn: true };
  }

  /** Replaces the app's texts (InvalidInput naming the field for an unknown placeholder). */
  async putNotifications(appKey: string, input: NotificationTextsInput): Promise<NotificationTextsView> {
    const texts = checkNotificationTexts(input);
    if (!(await this.repo.setNotifications(appKey, JSON.stringify(texts)))) throw unknownApp();
    this.changed(appKey);
    return { ...texts, builtIn: false };
  }

  /** The notification `key` for a device of `locale`, filled in (docs/notifications.md#resolution). */
  async textFor(appKey: string, key: TextKey, locale: string | undefined, vars: TextVars): Promise<RenderedText> {
    const { book } = await this.preferences(appKey);
    return renderText(resolveTemplate(book, key, locale), vars);
  }

  /** Calls `listener` after an app's settings or texts change on this node. */
  onChange(listener: (appKey: string) => void): void {
    this.changeListeners.push(listener);
  }

  /** Drops what this node keeps of an app (it changed on another node), or of all apps. */
  forget(appKey?: string): void {
    if (appKey === undefined) this.cache.clear();
    else this.cache.delete(appKey);
  }

  private changed(appKey: string): void {
    this.cache.delete(appKey);
    for (const listener of this.changeListeners) listener(appKey);
  }

  private preferences(appKey: string): Promise<Preferences> {
    const cached = this.cache.get(appKey);
    if (cached && cached.until > this.now()) return cached.load;
    const load = this.load(appKey);
    const entry = { load, until: this.now() + CACHE_MS };
    this.cache.set(appKey, entry);
    // A failed query is not kept: the next call asks again.
    load.catch(() => {
      if (this.cache.get(appKey) === entry) this.cache.delete(appKey);
    });
    return load;
  }

  private async load(appKey: string): Promise<Preferences> {
    const row = await this.repo.preferences(appKey);
    const texts = row?.notifications_json ? (JSON.parse(row.notifications_json) as NotificationTexts) : undefined;
    return { settings: parseSettings(row?.settings_json ?? null), texts, book: textBook(texts) };
  }
}

function unknownApp(): Unauthenticated {
  return new Unauthenticated('unknown_app', 'no app has this key');
}
