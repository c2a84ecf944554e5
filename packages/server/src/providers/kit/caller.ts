import type { WireMessage } from '#kernel';

/**
 * Who a visible notification names when the gateway rendered no text for it: the caller as the callee knows
 * them, which needs no language. A cancel carries no display name, only the caller's id; a notice names nobody.
 */
export function callerOf(message: WireMessage): string {
  if (message.type === 'notice') return '';
  return message.type === 'call.cancel' ? message.from : (message.displayName ?? message.from);
}
