import { type ShownNotification, shownNotification } from '../core/device-view.js';

/**
 * What a browser that supports declarative Web Push (Safari 18.4+) makes of a decrypted payload, following the
 * Push API's declarative push message parser: `undefined` when it is not one (no `"web_push": 8030`: the
 * message goes to the service worker as before), else the notification the browser shows by itself, or why it
 * does not parse. A push service never reads the payload, so none of this changes its answer: a message that
 * fails here is still accepted, and then either reaches a service worker or shows nothing, which is what Safari
 * withdraws permission for (docs/providers.md#webpush-declarative).
 */
export type DeclarativeParse = { notification: ShownNotification } | { error: string } | undefined;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isUint = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
/** An absolute http(s) URL: what a click can navigate to. */
const isNavigable = (v: unknown) => typeof v === 'string' && URL.canParse(v) && /^https?:$/.test(new URL(v).protocol);

/** The type each optional member of `notification` must have when present (the NotificationOptions members). */
const MEMBER_CHECKS: Record<string, [(v: unknown) => boolean, string]> = {
  dir: [(v) => v === 'auto' || v === 'ltr' || v === 'rtl', 'auto, ltr or rtl'],
  lang: [(v) => typeof v === 'string', 'a string'],
  body: [(v) => typeof v === 'string', 'a string'],
  tag: [(v) => typeof v === 'string', 'a string'],
  image: [isNavigable, 'a URL'],
  icon: [isNavigable, 'a URL'],
  badge: [isNavigable, 'a URL'],
  vibrate: [(v) => Array.isArray(v) && v.every(isUint), 'a list of non-negative integers'],
  timestamp: [isUint, 'a non-negative integer'],
  renotify: [(v) => typeof v === 'boolean', 'a boolean'],
  silent: [(v) => typeof v === 'boolean', 'a boolean'],
  requireInteraction: [(v) => typeof v === 'boolean', 'a boolean'],
  actions: [(v) => Array.isArray(v) && v.every(isAction), 'a list of {action, title, navigate}'],
};

function isAction(v: unknown): boolean {
  return isObject(v) && typeof v.action === 'string' && typeof v.title === 'string' && isNavigable(v.navigate);
}

export function parseDeclarative(payload: unknown): DeclarativeParse {
  if (!isObject(payload) || payload.web_push !== 8030) return undefined;
  const { notification: n, mutable, app_badge: badge } = payload;
  if (!isObject(n)) return { error: 'notification must be an object' };
  if (typeof n.title !== 'string') return { error: 'notification.title must be a string' };
  if (!isNavigable(n.navigate)) return { error: 'notification.navigate must be an absolute http(s) URL' };
  for (const [name, [valid, what]] of Object.entries(MEMBER_CHECKS)) {
    if (n[name] !== undefined && !valid(n[name])) return { error: `notification.${name} must be ${what}` };
  }
  // The Notifications API refuses these combinations when the notification is created.
  if (n.renotify === true && !n.tag) return { error: 'notification.renotify needs a tag' };
  if (n.silent === true && n.vibrate !== undefined) return { error: 'a silent notification cannot vibrate' };
  if (mutable !== undefined && typeof mutable !== 'boolean') return { error: 'mutable must be a boolean' };
  if (badge !== undefined && !isUint(badge)) return { error: 'app_badge must be a non-negative integer' };
  return {
    notification: shownNotification({
      title: n.title,
      ...(typeof n.body === 'string' ? { body: n.body } : {}),
      ...(typeof n.tag === 'string' ? { tag: n.tag } : {}),
      sound: n.silent !== true,
    }),
  };
}
