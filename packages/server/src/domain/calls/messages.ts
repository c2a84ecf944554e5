import type { MissedReason, WireMessage, WireText } from '#kernel';
import type { Call, Delivery } from './model.js';

/**
 * The v1 message (docs/providers.md#wire-format-v1) of a ring, cancel or missed notice for one callee. `text`
 * is the visible text in the device's language, for code that shows a notification itself.
 */
export function messageFor(
  call: Call,
  d: Pick<Delivery, 'userId' | 'type' | 'cancelReason'> & Partial<Pick<Delivery, 'deadline'>>,
  now: number,
  text?: WireText,
): WireMessage {
  const common = {
    v: 1 as const,
    callId: call.id,
    app: call.appKey,
    from: call.from,
    to: d.userId,
    sentAt: now,
    expiresAt: call.expiresAt,
  };
  if (d.type === 'cancel') {
    return { ...common, type: 'call.cancel', reason: d.cancelReason ?? 'ended', ...(text ? { text } : {}) };
  }
  if (d.type === 'missed') {
    return {
      ...common,
      type: 'call.missed',
      // The notice's own deadline: it is worth showing for hours, long after the ring's.
      expiresAt: d.deadline ?? call.expiresAt,
      ...(call.displayName !== undefined ? { displayName: call.displayName } : {}),
      video: call.video,
      reason: (d.cancelReason ?? 'timeout') as MissedReason,
      callStartedAt: call.createdAt,
      ...(text ? { text } : {}),
    };
  }
  return {
    ...common,
    type: 'call.ring',
    ...(call.displayName !== undefined ? { displayName: call.displayName } : {}),
    video: call.video,
    headers: call.headers,
  };
}
