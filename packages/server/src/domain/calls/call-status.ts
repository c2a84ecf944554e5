import type { CancelReason } from '#kernel';
import type { Call, CallState } from './model.js';

/**
 * What a call means for one device of a callee: `ringing` (keep ringing), `answered` (answered on this
 * device), `answered_elsewhere`, or why it stopped. For the caller and the app it is the call's own state.
 */
export type CallStatusValue = CallState | 'answered_elsewhere';

export interface CallStatus {
  callId: string;
  state: CallState;
  status: CallStatusValue;
  endReason?: string;
}

/** Who is asking: a callee names the device it asks for, so an answer elsewhere can be told apart. */
export interface Viewer {
  userId: string;
  deviceId?: string | undefined;
}

function calleeStatus(call: Call, userId: string, deviceId: string | undefined, now: number): CallStatusValue {
  switch (call.callees[userId]) {
    case 'answered': {
      if (call.state === 'ended') return 'ended';
      const by = call.answeredBy;
      const elsewhere = deviceId !== undefined && by?.userId === userId && by.deviceId !== deviceId;
      return elsewhere ? 'answered_elsewhere' : 'answered';
    }
    case 'declined':
      return 'declined';
    case 'busy':
      return 'busy';
    default:
      if (call.state === 'ringing' || call.state === 'answered') {
        // The timeout may not have fired yet (or fires on another node): past the deadline nothing rings.
        return now >= call.expiresAt ? 'timed_out' : 'ringing';
      }
      return call.state;
  }
}

/** The status of `call` for `viewer` (a callee, the caller) or, without one, the call's own state. */
export function statusOf(call: Call, viewer: Viewer | undefined, now: number): CallStatus {
  const inCallees = viewer !== undefined && viewer.userId in call.callees;
  return {
    callId: call.id,
    state: call.state,
    status: inCallees ? calleeStatus(call, viewer.userId, viewer.deviceId, now) : call.state,
    ...(call.endReason !== undefined ? { endReason: call.endReason } : {}),
  };
}

/** The cancel that tells a callee device its ring is over, or undefined while it may ring (or it answered). */
export function cancelReasonOf(status: CallStatusValue): CancelReason | undefined {
  switch (status) {
    case 'ringing':
    case 'answered':
      return undefined;
    case 'cancelled':
      return 'caller_cancelled';
    case 'timed_out':
      return 'timeout';
    default:
      return status;
  }
}
