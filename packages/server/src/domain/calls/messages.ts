import type { WireMessage } from '#kernel';
import type { Call, Delivery } from './model.js';

/** The v1 message (docs/providers.md#wire-format-v1) of a ring or cancel for one callee. */
export function messageFor(
  call: Call,
  d: Pick<Delivery, 'userId' | 'type' | 'cancelReason'>,
  now: number,
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
  if (d.type === 'cancel') return { ...common, type: 'call.cancel', reason: d.cancelReason ?? 'ended' };
  return {
    ...common,
    type: 'call.ring',
    ...(call.displayName !== undefined ? { displayName: call.displayName } : {}),
    video: call.video,
    headers: call.headers,
  };
}
