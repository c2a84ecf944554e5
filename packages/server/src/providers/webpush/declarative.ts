import type { PushRequest } from '../contract.js';
import { callerOf } from '../kit/index.js';

/** Marks a push as a declarative push message (the Push API's declarative Web Push; docs/providers.md#webpush-declarative). */
const DECLARATIVE_MARK = 8030;
/** What a credential's `navigate` may hold to open the page of the call a notification is about. */
export const CALL_ID_PLACEHOLDER = '{callId}';

/**
 * The message as a declarative push message: a browser that knows the format (Safari 18.4+) shows the
 * notification itself, without a service worker, and opens `navigate` on a click. The v1 message rides in the
 * notification's `data`, and `mutable` hands the push to the page's service worker when it has one, which may
 * replace the notification (with its own call screen, say); the declarative one is the fallback if it does not.
 *
 * Every message of a call shares one `tag` (the call id), so a cancel or a missed notice replaces the ringing
 * notification in place. A ring stays on screen until acted on; a cancel is silent, as on APNs.
 */
export function declarativePayload(request: PushRequest, navigate: string): Record<string, unknown> {
  const { message, notification } = request;
  return {
    web_push: DECLARATIVE_MARK,
    notification: {
      title: notification?.title ?? callerOf(message),
      ...(notification ? { body: notification.body } : {}),
      navigate: navigate.replaceAll(
        CALL_ID_PLACEHOLDER,
        encodeURIComponent(message.type === 'notice' ? message.id : message.callId),
      ),
      tag: request.collapseId,
      ...(message.type === 'call.ring' ? { requireInteraction: true } : {}),
      ...(message.type === 'call.cancel' ? { silent: true } : {}),
      data: message,
    },
    mutable: true,
  };
}
