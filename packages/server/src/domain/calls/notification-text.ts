import type { AppSettings, TextKey } from '#domain/apps';
import type { CancelReason } from '#kernel';
import type { PushNotification } from '#providers';
import type { Call, Delivery } from './model.js';

/** The app's settings and its notification texts (per node cache: docs/notifications.md). */
export interface TextSource {
  settingsOf(appKey: string): Promise<AppSettings>;
  textFor(
    appKey: string,
    key: TextKey,
    locale: string | undefined,
    vars: { from: string; displayName?: string },
  ): Promise<Omit<PushNotification, 'visibleOnData'>>;
}

/** The text a cancel shows in place of the ringing notification, by why the ring stopped. */
const CANCEL_TEXT: Record<CancelReason, TextKey> = {
  answered_elsewhere: 'answeredElsewhere',
  declined: 'callDeclined',
  busy: 'callDeclined',
  caller_cancelled: 'callCancelled',
  timeout: 'callCancelled',
  ended: 'callEnded',
};

function keyOf(call: Call, d: Pick<Delivery, 'type' | 'cancelReason'>): TextKey {
  if (d.type === 'ring') return call.video ? 'incomingVideoCall' : 'incomingCall';
  if (d.type === 'missed') return call.video ? 'missedVideoCall' : 'missedCall';
  return CANCEL_TEXT[d.cancelReason ?? 'ended'];
}

/**
 * The visible notification of one delivery in its device's language. Only a missed notice may be made visible
 * on the data transports (FCM, HMS), when the app asked for it: a ring there must stay data-only so the app's
 * own code shows the call, and a cancel only removes what the app showed.
 */
export async function notificationFor(
  texts: TextSource,
  call: Call,
  d: Pick<Delivery, 'type' | 'cancelReason' | 'locale'>,
): Promise<PushNotification> {
  const vars = { from: call.from, ...(call.displayName !== undefined ? { displayName: call.displayName } : {}) };
  const text = await texts.textFor(call.appKey, keyOf(call, d), d.locale, vars);
  const visibleOnData = d.type === 'missed' && (await texts.settingsOf(call.appKey)).missedCalls.visibleOnData;
  return { ...text, visibleOnData };
}
