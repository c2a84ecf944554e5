import type { Device, ReportedCapabilities } from '#domain/devices';
import type { Call, CallState, Delivery } from './model.js';
import { isRinging } from './state-machine.js';

/** Why a callee device rang or did not (docs/diagnosis.md): one per ring, or one per callee nothing could ring. */
export type DiagnosisCode =
  | 'no_registration'
  | 'callee_busy'
  | 'answered'
  | 'declined'
  | 'socket_acknowledged'
  | 'received'
  | 'received_late'
  | 'notifications_disabled'
  | 'provider_delivered'
  | 'provider_held'
  | 'provider_undelivered'
  | 'no_receipt'
  | 'awaiting_receipt'
  | 'token_pruned'
  | 'token_gone'
  | 'provider_rejected'
  | 'not_connected'
  | 'retry_past_deadline'
  | 'retrying'
  | 'sending'
  | 'expired'
  | 'skipped';

/** Further facts about a device, whatever its cause: what it reported, a cancel it could not be sent. */
export type NoteCode =
  | 'notifications_disabled'
  | 'notifications_not_granted'
  | 'full_screen_intent_denied'
  | 'fcm_normal_priority'
  | 'callkit_not_reported'
  | 'cancel_skipped';

export interface Finding<C extends string> {
  code: C;
  message: string;
}

export interface DeviceDiagnosis extends Finding<DiagnosisCode> {
  userId: string;
  /** Absent when the callee had no device to ring. */
  deviceId?: string;
  deliveryId?: string;
  transport?: Delivery['transport'];
  /** The provider credential the ring went to (absent over a socket-only device). */
  provider?: string;
  notes: Finding<NoteCode>[];
}

export interface Diagnosis {
  callId: string;
  state: CallState;
  /** A test ring (POST /v1/users/{userId}/test-ring). */
  test?: true;
  devices: DeviceDiagnosis[];
}

/** A callee's device as it is registered now: what it reported it can do. */
export type KnownDevice = Pick<Device, 'userId' | 'deviceId' | 'capabilities'>;

const at = (ms: number) => new Date(ms).toISOString();

/**
 * Explains each callee device of a call from what was recorded: its ring delivery (outcome, times, receipt, what
 * was done on it), the device's reported capabilities and the call's state at `now`. Pure.
 */
export function diagnose(call: Call, deliveries: Delivery[], devices: KnownDevice[], now: number): Diagnosis {
  const known = (userId: string, deviceId: string) =>
    devices.find((d) => d.userId === userId && d.deviceId === deviceId);
  const entries = Object.keys(call.callees).flatMap((userId): DeviceDiagnosis[] => {
    const rings = deliveries.filter((d) => d.type === 'ring' && d.userId === userId);
    if (rings.length === 0) return [{ userId, ...nothingRang(call, userId, devices), notes: [] }];
    return rings.map((ring) => {
      const caps = known(userId, ring.deviceId)?.capabilities;
      const cause = ringCause(call, ring, caps, now);
      return {
        userId,
        deviceId: ring.deviceId,
        ...cause,
        deliveryId: ring.id,
        transport: ring.transport,
        ...(ring.provider ? { provider: ring.provider } : {}),
        notes: [...capabilityNotes(caps, cause.code), ...noticeNotes(deliveries, ring)],
      };
    });
  });
  return { callId: call.id, state: call.state, ...(call.test ? { test: true as const } : {}), devices: entries };
}

/** A callee with no ring delivery: refused as busy, or it had nothing to ring. */
function nothingRang(call: Call, userId: string, devices: KnownDevice[]): Finding<DiagnosisCode> {
  if (call.callees[userId] === 'busy') {
    return {
      code: 'callee_busy',
      message: `${userId} was in another call and the app refuses calls to busy users (rejectWhenBusy): no device rang.`,
    };
  }
  const since = devices.filter((d) => d.userId === userId).length;
  return {
    code: 'no_registration',
    message:
      `${userId} had no registered device and no live connection when the call was placed: nothing could ring.` +
      (since > 0 ? ` It has ${since} registered device${since > 1 ? 's' : ''} now.` : ''),
  };
}

/** The one cause that explains a ring, the furthest it got deciding. */
function ringCause(
  call: Call,
  ring: Delivery,
  caps: ReportedCapabilities | undefined,
  now: number,
): Finding<DiagnosisCode> {
  const acted = ring.acted ?? (sameDevice(call.answeredBy, ring) ? 'answered' : undefined);
  if (acted) {
    const when = ring.actedAt !== undefined ? ` at ${at(ring.actedAt)}` : '';
    return { code: acted, message: `${acted === 'answered' ? 'Answered' : 'Declined'} on this device${when}.` };
  }
  if (ring.receivedAt !== undefined) return receivedCause(call, ring, ring.receivedAt);
  switch (ring.state) {
    case 'failed':
      return failedCause(ring);
    case 'expired':
      return ring.outcome === 'retry'
        ? {
            code: 'retry_past_deadline',
            message:
              `The provider asked to try again later (${ring.detail}) and the next try would have come after the ring ` +
              `window closed at ${at(ring.deadline)}, so the ring was given up after ${ring.attempts} attempt(s): ` +
              'a rate limit or an outage at the provider.',
          }
        : {
            code: 'expired',
            message: `The ring was not sent before its deadline at ${at(ring.deadline)} (${ring.detail}).`,
          };
    case 'skipped':
      return { code: 'skipped', message: `Not sent: the call had stopped ringing for ${ring.userId} before this try.` };
    case 'pending':
      return ring.nextAttemptAt !== undefined
        ? {
            code: 'retrying',
            message: `The provider asked to try again (${ring.detail}); the next try is at ${at(ring.nextAttemptAt)}.`,
          }
        : { code: 'sending', message: 'Being sent.' };
    default:
      return sentCause(call, ring, caps, now);
  }
}

const sameDevice = (a: { userId: string; deviceId: string } | undefined, b: Delivery) =>
  a !== undefined && a.userId === b.userId && a.deviceId === b.deviceId;

/** How a sent ring got to the device: a provider's answer with its message id, or the socket. */
function howSent(ring: Delivery): string {
  const sentAt = at(ring.sentAt ?? ring.firstAttemptAt ?? ring.createdAt);
  if (ring.transport === 'connection') return `Rung over the active connection at ${sentAt}`;
  const accepted = `The provider accepted the push at ${sentAt}${ring.providerId ? ` (message id ${ring.providerId})` : ''}`;
  const receipt = ring.providerReceipt;
  return receipt?.kind === 'delivered'
    ? `${accepted} and its delivery receipt said it reached the device at ${at(receipt.at)}`
    : accepted;
}

function receivedCause(call: Call, ring: Delivery, receivedAt: number): Finding<DiagnosisCode> {
  if (receivedAt > ring.deadline) {
    return {
      code: 'received_late',
      message: `The device confirmed the ring at ${at(receivedAt)}, after the ring window had closed at ${at(ring.deadline)}: it arrived too late to ring.`,
    };
  }
  const after = ((receivedAt - call.createdAt) / 1000).toFixed(1);
  if (ring.transport === 'connection') {
    return {
      code: 'socket_acknowledged',
      message: `${howSent(ring)} and acknowledged by the device at ${at(receivedAt)}, ${after} s after the call was placed.`,
    };
  }
  return {
    code: 'received',
    message: `${howSent(ring)} and the device confirmed it at ${at(receivedAt)}, ${after} s after the call was placed.`,
  };
}

function failedCause(ring: Delivery): Finding<DiagnosisCode> {
  if (ring.outcome === 'undelivered' && ring.providerReceipt) {
    return {
      code: 'provider_undelivered',
      message: `${howSent(ring)}, but its delivery receipt at ${at(ring.providerReceipt.at)} said the push did not reach the app (${ring.providerReceipt.reason}).`,
    };
  }
  if (ring.outcome === 'token_gone') {
    const when = at(ring.firstAttemptAt ?? ring.createdAt);
    // The dispatcher appends this to the provider's reason when it removed the registration.
    return ring.detail?.endsWith('device removed')
      ? {
          code: 'token_pruned',
          message: `The provider answered at ${when} that the push token is no longer valid (${ring.detail}): the registration was removed, so the device is not rung until the app registers it again.`,
        }
      : {
          code: 'token_gone',
          message: `The provider answered at ${when} that the push token is no longer valid (${ring.detail}); the registration was not removed: the device registered again after this push.`,
        };
  }
  if (ring.transport === 'connection' && ring.token === '') {
    return {
      code: 'not_connected',
      message:
        'The device was known only by its active connection, which had closed before the ring was sent, and it has no push token.',
    };
  }
  return {
    code: 'provider_rejected',
    message: `The provider refused the push: ${ring.detail}. The app's credential "${ring.provider}" is misconfigured (key, project, bundle id, topic or environment): fix it with PUT /v1/apps/{appKey}/providers/${ring.provider}.`,
  };
}

/** A ring the provider (or the socket) took and no receipt came for. */
function sentCause(
  call: Call,
  ring: Delivery,
  caps: ReportedCapabilities | undefined,
  now: number,
): Finding<DiagnosisCode> {
  if (isRinging(call, ring.userId) && now < ring.deadline) {
    return {
      code: 'awaiting_receipt',
      message: `${howSent(ring)}; waiting for the device's receipt until the ring ends at ${at(ring.deadline)}.`,
    };
  }
  if (caps?.notifications === 'denied') {
    return {
      code: 'notifications_disabled',
      message: `${howSent(ring)}, but the device reported at ${at(caps.reportedAt)} that notifications are disabled for the app: it could not show the call.`,
    };
  }
  const window = Math.round((ring.deadline - call.createdAt) / 1000);
  const receipt = ring.providerReceipt;
  if (receipt?.kind === 'held') {
    return {
      code: 'provider_held',
      message: `${howSent(ring)}, but its delivery receipt at ${at(receipt.at)} said it reached the phone and not the app (${receipt.reason}): the call could not ring.`,
    };
  }
  if (receipt?.kind === 'delivered') {
    return {
      code: 'provider_delivered',
      message: `${howSent(ring)}, but the app sent no receipt within the ring window (${window} s): the app got the push and did not confirm it (it sends no receipts, or it failed before it could).`,
    };
  }
  const unknown =
    receipt?.kind === 'unknown' ? ` Its delivery receipt at ${at(receipt.at)} said: ${receipt.reason}.` : '';
  return {
    code: 'no_receipt',
    message:
      ring.transport === 'connection'
        ? `${howSent(ring)}, but the device never acknowledged it before the ring ended.`
        : `${howSent(ring)}, but the device sent no receipt within the ring window (${window} s): the push did not reach the app, or the app sends no receipts.${unknown}`,
  };
}

/** What the device reported that bears on ringing, unless it is the cause already. */
function capabilityNotes(caps: ReportedCapabilities | undefined, cause: DiagnosisCode): Finding<NoteCode>[] {
  if (!caps) return [];
  const when = `(reported at ${at(caps.reportedAt)})`;
  const notes: Finding<NoteCode>[] = [];
  if (caps.notifications === 'denied' && cause !== 'notifications_disabled') {
    notes.push({ code: 'notifications_disabled', message: `Notifications are disabled for the app ${when}.` });
  }
  if (caps.notifications === 'default') {
    notes.push({ code: 'notifications_not_granted', message: `The user has not allowed notifications yet ${when}.` });
  }
  if (caps.fullScreenIntent === false) {
    notes.push({
      code: 'full_screen_intent_denied',
      message: `Android denies the app full-screen intents ${when}: a call shows as a notification, not as the incoming-call screen.`,
    });
  }
  if (caps.fcmPriority === 'normal') {
    notes.push({
      code: 'fcm_normal_priority',
      message: `FCM delivered the last push at normal priority ${when}: Android may hold it back. FCM lowers apps whose high-priority pushes show nothing.`,
    });
  }
  if (caps.callKitReported === false) {
    notes.push({
      code: 'callkit_not_reported',
      message: `The app did not report its last VoIP push to CallKit ${when}: iOS stops delivering VoIP pushes to apps that do not.`,
    });
  }
  return notes;
}

/** A cancel or missed-call notice the device could not be sent: it has only a VoIP registration. */
function noticeNotes(deliveries: Delivery[], ring: Delivery): Finding<NoteCode>[] {
  const skipped = deliveries.some(
    (d) =>
      d.type !== 'ring' &&
      d.kind === 'voip' &&
      d.state === 'skipped' &&
      d.userId === ring.userId &&
      d.deviceId === ring.deviceId,
  );
  return skipped
    ? [
        {
          code: 'cancel_skipped',
          message:
            'No cancel push went to this device: it has only a VoIP registration, and iOS forbids VoIP pushes that report no call; it hears of the end over its active connection or by asking.',
        },
      ]
    : [];
}
