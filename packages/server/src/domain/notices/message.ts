import type { WireMessage } from '#kernel';
import type { Notice } from './notice.js';

/**
 * The v1 member a notice needs and kernel/wire.ts does not have yet: a push that is not about a call. Until
 * it is added there, notices go only to the data transports (FCM, HMS), which send the notice's `data` in
 * place of the message, so this object never reaches a device; it only fills `PushRequest.message`.
 */
interface NoticeMessage {
  v: 1;
  type: 'notice';
  /** The notice's own id (its collapse id) and what it is (`chat`). */
  id: string;
  notice: string;
  app: string;
  to: string;
  sentAt: number;
  expiresAt: number;
}

export function noticeMessage(notice: Notice, to: string, now: number): WireMessage {
  const message: NoticeMessage = {
    v: 1,
    type: 'notice',
    id: notice.collapseId,
    notice: notice.type,
    app: notice.appKey,
    to,
    sentAt: now,
    expiresAt: notice.deadline,
  };
  // The one cast of the module, gone once WireMessage has the member above.
  return message as unknown as WireMessage;
}
