import { ApnsRejection } from './reasons.js';

/**
 * The `aps` rules of an `alert` push (docs/emulators.md, assumptions): Apple documents the dictionary's keys and
 * their types but no reason for breaking them, so a push the device could not show answers `BadPayload`.
 * A VoIP push's payload is the app's own and is not checked.
 */

/** `aps.alert` keys that hold text, and those that hold the arguments of a localization key. */
const ALERT_STRINGS = [
  'title',
  'subtitle',
  'body',
  'launch-image',
  'title-loc-key',
  'subtitle-loc-key',
  'loc-key',
  'action-loc-key',
];
const ALERT_ARGUMENTS = ['title-loc-args', 'subtitle-loc-args', 'loc-args'];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function bad(): never {
  throw new ApnsRejection('BadPayload');
}

function checkAlert(alert: unknown): void {
  if (typeof alert === 'string') return;
  if (!isObject(alert)) bad();
  for (const key of ALERT_STRINGS) if (alert[key] !== undefined && typeof alert[key] !== 'string') bad();
  for (const key of ALERT_ARGUMENTS) {
    const args = alert[key];
    if (args !== undefined && !(Array.isArray(args) && args.every((a) => typeof a === 'string'))) bad();
  }
}

/** A string names a sound file; a dictionary is a critical alert's `{critical, name, volume}`. */
function checkSound(sound: unknown): void {
  if (typeof sound !== 'string' && !isObject(sound)) bad();
}

/** Throws BadPayload unless the payload of an `alert` push has an `aps` dictionary with something to show. */
export function checkAlertAps(payload: Record<string, unknown>): void {
  const { aps } = payload;
  if (!isObject(aps)) bad();
  const { alert, sound, badge } = aps;
  if (alert === undefined && sound === undefined && badge === undefined) bad();
  if (alert !== undefined) checkAlert(alert);
  if (sound !== undefined) checkSound(sound);
  if (badge !== undefined && !(Number.isInteger(badge) && (badge as number) >= 0)) bad();
}
