import { endpointRefusal } from '#infra/net';
import type { ProviderClientPool, PushNotification, PushOutcome, PushTarget } from '#providers';
import { messageFor } from '../messages.js';
import type { Call, Delivery, DeliveryPatch } from '../model.js';
import { notificationFor, type TextSource } from '../notification-text.js';

/**
 * The data map that replaces the v1 message of a ring, for apps on another SDK's payload format (Kaleyra), or
 * undefined. Asked per callee and attempt: a format may carry per-user material (a Kaleyra user token).
 */
export interface RingPayloads {
  payloadFor(call: Call, delivery: Delivery): Promise<Record<string, string> | undefined>;
}

/** Why a push must not go now (the patch that ends its deliveries), or undefined: go ahead. */
export type PreSendCheck = (call: Call, group: Delivery[], now: number) => Promise<DeliveryPatch | undefined>;

/** Nothing is sent at or past the deadline: a late ring is worse than none. */
export const beforeDeadline: PreSendCheck = async (_call, group, now) =>
  now >= group[0]!.deadline
    ? { state: 'expired', outcome: 'expired', detail: 'deadline reached before sending', lease: 'release' }
    : undefined;

export interface PushAttemptDeps {
  clients: Pick<ProviderClientPool, 'get' | 'admit'>;
  payloads?: RingPayloads;
  /** The app's notification texts: what an alert device shows, and the `text` of cancels and missed notices. */
  texts: TextSource;
}

const all = (group: Delivery[], outcome: PushOutcome) => group.map(() => outcome);

/**
 * One push of a group (one credential, callee, message type and language): its outcomes, one per delivery, in
 * order. Never throws for a provider's fault: a missing credential, a payload not ready or a full credential
 * are outcomes too. `onWrite` is told the moment the request goes out (how the ring-dispatch time is taken).
 */
export async function pushOnce(
  deps: PushAttemptDeps,
  call: Call,
  group: Delivery[],
  now: number,
  onWrite?: () => void,
): Promise<PushOutcome[]> {
  const head = group[0]!;
  const client = await deps.clients.get(head.appKey, head.provider);
  if (!client) return all(group, { kind: 'config_error', reason: 'the provider credential no longer exists' });
  let data: Record<string, string> | undefined;
  let notification: PushNotification;
  try {
    notification = await notificationFor(deps.texts, call, head);
    data = head.type === 'ring' ? await deps.payloads?.payloadFor(call, head) : undefined;
  } catch (err) {
    // A URL the endpoint policy refuses (the Kaleyra base URL) will be refused again: no point retrying.
    const refused = endpointRefusal(err);
    if (refused) return all(group, { kind: 'config_error', reason: `payload not ready: ${refused.message}` });
    // Whatever the payload needs (a token from the SDK vendor) may be briefly unavailable: retry in time.
    return all(group, { kind: 'retry', reason: `payload not ready: ${(err as Error).message}` });
  }
  const release = deps.clients.admit(head.appKey, head.provider, group.length);
  if (!release) return all(group, { kind: 'retry', reason: 'shed: too many requests in flight' });
  onWrite?.();
  const targets: PushTarget[] = group.map((d) => ({
    deviceId: d.deviceId,
    token: d.token,
    kind: d.kind,
    ...(d.environment === undefined ? {} : { environment: d.environment }),
    ...(d.format === undefined ? {} : { format: d.format }),
  }));
  try {
    const text = head.type === 'ring' ? undefined : { title: notification.title, body: notification.body };
    return await client.send(targets, {
      message: messageFor(call, head, now, text),
      deadline: head.deadline,
      collapseId: call.id,
      notification,
      // A missed call may wait for the device's next wake-up; a ring and a cancel may not.
      ...(head.type === 'missed' ? { priority: 'normal' as const } : {}),
      ...(data ? { data } : {}),
    });
  } finally {
    release();
  }
}
