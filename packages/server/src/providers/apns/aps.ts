import type { WireMessage } from '#kernel';
import type { PushNotification, PushRequest } from '../contract.js';
import { callerOf } from '../kit/index.js';

/**
 * The `aps` dictionary an `alert` device gets (docs/providers.md#apns-alert). The text is the gateway's,
 * rendered in the device's language; with localization keys iOS takes the text from the app's own
 * Localizable.strings instead. No text is made up here: without a notification the alert names the caller,
 * which needs no language.
 */
export function alertAps(request: PushRequest): Record<string, unknown> {
  const { message, notification } = request;
  const alert = notification ? alertOf(notification) : { title: callerOf(message) };
  return SOUNDED.has(message.type) ? { alert, sound: 'default' } : { alert };
}

/**
 * A ring sounds as an incoming call must; a missed notice too, since it is what the user has to act on (call
 * back), and a device that was offline during the ring has not told its user of the call at all. A cancel
 * stays silent: it only replaces the ringing alert.
 */
const SOUNDED = new Set<WireMessage['type']>(['call.ring', 'call.missed']);

function alertOf(n: PushNotification): Record<string, unknown> {
  // One argument list fills both keys (the caller's name, typically); a list without its key means nothing.
  const args = n.locArgs;
  return {
    title: n.title,
    body: n.body,
    ...(n.titleLocKey === undefined ? {} : { 'title-loc-key': n.titleLocKey }),
    ...(n.titleLocKey === undefined || args === undefined ? {} : { 'title-loc-args': args }),
    ...(n.locKey === undefined ? {} : { 'loc-key': n.locKey }),
    ...(n.locKey === undefined || args === undefined ? {} : { 'loc-args': args }),
  };
}
