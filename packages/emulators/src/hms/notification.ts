import { type HmsResultCode, HmsResultError } from './codes.js';

/**
 * The rules of a notification message (docs/emulators.md#hms-notification), as Huawei's server SDKs check them:
 * a wrongly typed field breaks the message's structure (80100003); a missing title or body, or a missing or
 * incomplete `click_action`, is a parameter error (80100001). A notification without `click_action` cannot be
 * tapped, so Push Kit refuses it.
 */

type Fields = Record<string, unknown>;

const COMMON_STRINGS = ['title', 'body', 'image'];
const ANDROID_STRINGS = [
  'title',
  'body',
  'icon',
  'color',
  'sound',
  'tag',
  'body_loc_key',
  'title_loc_key',
  'channel_id',
  'notify_summary',
  'image',
  'big_title',
  'big_body',
  'group',
  'ticker',
  'when',
];
const ANDROID_STRING_LISTS = ['body_loc_args', 'title_loc_args'];
const ANDROID_BOOLEANS = [
  'default_sound',
  'auto_cancel',
  'use_default_vibrate',
  'use_default_light',
  'foreground_show',
];
const IMPORTANCES = ['HIGH', 'NORMAL', 'LOW'];
const VISIBILITIES = ['VISIBILITY_UNSPECIFIED', 'PRIVATE', 'PUBLIC', 'SECRET'];

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(code: HmsResultCode): never {
  throw new HmsResultError(code);
}

function checkTypes(fields: Fields, strings: string[], lists: string[] = [], booleans: string[] = []): void {
  for (const key of strings) if (fields[key] !== undefined && typeof fields[key] !== 'string') fail('80100003');
  for (const key of lists) {
    const list = fields[key];
    if (list !== undefined && !(Array.isArray(list) && list.every((v) => typeof v === 'string'))) fail('80100003');
  }
  for (const key of booleans) if (fields[key] !== undefined && typeof fields[key] !== 'boolean') fail('80100003');
}

/** Type 1 opens an intent or action, 2 a URL, 3 the app, 4 a rich resource: each needs what it opens. */
function checkClickAction(action: unknown): void {
  if (action === undefined) fail('80100001');
  if (!isObject(action)) fail('80100003');
  checkTypes(action, ['intent', 'action', 'url', 'rich_resource']);
  const needs: Record<number, (a: Fields) => boolean> = {
    1: (a) => Boolean(a.intent || a.action),
    2: (a) => typeof a.url === 'string' && a.url.startsWith('https'),
    3: () => true,
    4: (a) => Boolean(a.rich_resource),
  };
  const check = typeof action.type === 'number' ? needs[action.type] : undefined;
  if (!check?.(action)) fail('80100001');
}

/** Checks `message.notification` and `android.notification` when present. */
export function checkNotification(common: unknown, android: unknown): void {
  if (common !== undefined) {
    if (!isObject(common)) fail('80100003');
    checkTypes(common, COMMON_STRINGS);
  }
  if (android === undefined) return;
  if (!isObject(android)) fail('80100003');
  checkTypes(android, ANDROID_STRINGS, ANDROID_STRING_LISTS, ANDROID_BOOLEANS);
  const shown = { ...(common as Fields | undefined), ...android };
  if (!shown.title || !shown.body) fail('80100001');
  if (android.importance !== undefined && !IMPORTANCES.includes(android.importance as string)) fail('80100001');
  if (android.visibility !== undefined && !VISIBILITIES.includes(android.visibility as string)) fail('80100001');
  checkClickAction(android.click_action);
}
