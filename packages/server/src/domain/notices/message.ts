import type { NoticeMessage } from '#kernel';
import type { Notice } from './notice.js';

/** The v1 message of a notice: it fills `PushRequest.message`; the data transports send the notice's data. */
export function noticeMessage(notice: Notice, to: string, now: number): NoticeMessage {
  return {
    v: 1,
    type: 'notice',
    id: notice.collapseId,
    notice: notice.type,
    app: notice.appKey,
    to,
    sentAt: now,
    expiresAt: notice.deadline,
  };
}
