import type { MissedMessage, RingMessage } from '../../../src/kernel/wire.js';
import type { PushNotification, PushRequest } from '../../../src/providers/contract.js';

/** Builders of the requests after the ring, as the dispatcher hands them to a provider client. */

/** How long a missed-call notice stays worth delivering. */
export const SIX_HOURS = 6 * 3_600_000;

/** A notice's text as the gateway renders it from the app's templates (here in German). */
export const NOTICE: PushNotification = { title: 'Alice', body: 'Verpasster Anruf', visibleOnData: true };

/**
 * The missed-call notice that follows `ring`: same call and collapse id, normal priority, a deadline hours
 * later, the rendered text in the message and as the notification.
 */
export function missedOf(ring: PushRequest, notification: PushNotification = NOTICE): PushRequest {
  const { callId, app, from, to, displayName, video, sentAt } = ring.message as RingMessage;
  const deadline = sentAt + SIX_HOURS;
  const message: MissedMessage = {
    v: 1,
    type: 'call.missed',
    callId,
    app,
    from,
    to,
    ...(displayName === undefined ? {} : { displayName }),
    video,
    reason: 'timeout',
    callStartedAt: sentAt,
    sentAt,
    expiresAt: deadline,
    text: { title: notification.title, body: notification.body },
  };
  return { message, deadline, collapseId: ring.collapseId, priority: 'normal', notification };
}
