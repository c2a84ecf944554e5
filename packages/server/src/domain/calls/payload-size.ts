import { InvalidInput } from '#kernel';
import { type ProviderClientPool, providerModule } from '#providers';
import type { NoticeTarget } from './deliveries.js';
import { messageFor } from './messages.js';
import type { Call } from './model.js';
import { notificationFor, type TextSource } from './notification-text.js';

export interface RingFitDeps {
  /** The credential each ring goes out on, as its client has it (loaded once with the client). */
  credentials: Pick<ProviderClientPool, 'credential'>;
  /** The text a ring shows where it is part of the push (an APNs alert, a declarative Web Push). */
  texts: TextSource;
}

/** What shapes one device's ring: its callee, credential, kind, Web Push format and language. */
export type RingDevice = Pick<NoticeTarget, 'userId' | 'provider' | 'kind' | 'format' | 'locale'>;

/**
 * Refuses a call whose ring some callee device's provider could never carry: accepted, it would only end in a
 * `config_error` per device. Each ring is measured as the client of its credential wraps it, for its own
 * callee, with the text its device would show, in the format its registration chose, at its largest: stamped
 * `sentAt` = the deadline (nothing is sent later, so no stamp has more digits) and, for the TTL some providers
 * carry, the time left now. A credential that is gone, or of a type this version does not know, is not
 * measured: its ring fails on its own.
 */
export async function checkRingsFit(deps: RingFitDeps, call: Call, devices: RingDevice[], now: number): Promise<void> {
  const distinct = new Map<string, RingDevice>();
  for (const d of devices) {
    distinct.set([d.userId, d.provider, d.kind, d.format, d.locale].join('\u0000'), d);
  }
  const measured = await Promise.all([...distinct.values()].map((d) => measure(deps, call, d, now)));
  const over = measured.find((m) => m !== undefined && m.bytes > m.limit);
  if (!over) return;
  const { device, bytes, limit, type } = over;
  const shape = [type === 'apns' ? device.kind : undefined, device.format].filter(Boolean).join(', ');
  // What the caller can shorten: the headers, or the display name of a call without any.
  const field = Object.keys(call.headers).length === 0 && call.displayName !== undefined ? 'displayName' : 'headers';
  throw new InvalidInput(
    'payload_too_large',
    `with ${field === 'headers' ? 'these headers' : 'this display name'} the ring to ${device.userId} is ${bytes} ` +
      `bytes once wrapped for ${type}${shape ? ` (${shape})` : ''}, which carries at most ${limit}`,
    field,
  );
}

async function measure(deps: RingFitDeps, call: Call, device: RingDevice, now: number) {
  const credential = await deps.credentials.credential(call.appKey, device.provider);
  const provider = credential && providerModule(credential.type);
  if (!credential || !provider) return undefined;
  const request = {
    message: messageFor(call, { userId: device.userId, type: 'ring' }, call.expiresAt),
    deadline: call.expiresAt,
    collapseId: call.id,
    notification: await notificationFor(deps.texts, call, { type: 'ring', locale: device.locale }),
  };
  return {
    device,
    type: credential.type,
    bytes: provider.payloadBytes(request, device.kind, now, credential, device),
    limit: provider.maxPayloadBytes(device.kind),
  };
}
