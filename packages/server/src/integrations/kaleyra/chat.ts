import { createHash } from 'node:crypto';
import type { Notice } from '#domain/notices';

/** How long a chat notification is worth delivering to a phone that is offline. */
export const CHAT_TTL_MS = 6 * 3600_000;

/**
 * The notice of one chat message (`on_message_sent`) to the channel's other members. Its collapse id comes
 * from the webhook's identity, so no message replaces another still queued for an offline phone.
 */
export function chatNotice(
  appKey: string,
  eventKey: string,
  to: string[],
  dataFor: Notice['dataFor'],
  now: number,
): Notice {
  const collapseId = `km_${createHash('sha256').update(`${appKey}\u0000${eventKey}`).digest('base64url').slice(0, 22)}`;
  return { appKey, to, type: 'chat', collapseId, deadline: now + CHAT_TTL_MS, dataFor };
}
