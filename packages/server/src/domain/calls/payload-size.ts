import { InvalidInput } from '#kernel';
import { providerModule } from '#providers';
import { messageFor } from './messages.js';
import type { Call, Delivery } from './model.js';

/**
 * Refuses a call whose ring some callee device's provider could never carry: accepted, it would only end in a
 * `config_error` per device. Each ring is measured as that provider's client wraps it, for its own callee, at its
 * largest: stamped `sentAt` = the deadline (nothing is sent later, so no stamp has more digits) and, for the
 * TTL some providers carry, the time left now. A provider type this version does not know is not measured.
 */
export function checkRingsFit(
  call: Call,
  devices: Array<Pick<Delivery, 'userId' | 'providerType' | 'kind'>>,
  now: number,
): void {
  const measured = new Set<string>();
  for (const { userId, providerType, kind } of devices) {
    const key = `${userId}\u0000${providerType}\u0000${kind}`;
    const provider = providerModule(providerType);
    if (measured.has(key) || !provider) continue;
    measured.add(key);
    const message = messageFor(call, { userId, type: 'ring' }, call.expiresAt);
    const bytes = provider.payloadBytes({ message, deadline: call.expiresAt, collapseId: call.id }, kind, now);
    const limit = provider.maxPayloadBytes(kind);
    if (bytes > limit) {
      throw new InvalidInput(
        'payload_too_large',
        `with these headers the ring to ${userId} is ${bytes} bytes once wrapped for ${providerType}` +
          `${providerType === 'apns' ? ` (${kind})` : ''}, which carries at most ${limit}`,
        'headers',
      );
    }
  }
}
