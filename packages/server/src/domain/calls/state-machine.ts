import { type CancelReason, Conflict, type MissedReason } from '#kernel';
import type { Call } from './model.js';

export type CallEvent =
  | { type: 'answer'; userId: string; deviceId: string }
  /** `busy`: the callee is in another call. */
  | { type: 'decline'; userId: string; deviceId?: string; reason?: 'busy' }
  | { type: 'cancel' }
  | { type: 'timeout' }
  | { type: 'end' };

/** Which rung devices to send `call.cancel` to after a transition. */
export interface CancelOrder {
  /** Callees whose devices stop ringing. */
  userIds: string[];
  /** The device that answered keeps its call. */
  exceptDeviceId?: string;
  reason: CancelReason;
}

/** Callees to send a missed-call notice to: they neither answered nor declined a call nobody answered. */
export interface MissedOrder {
  userIds: string[];
  reason: MissedReason;
}

export interface Transition {
  call: Call;
  cancels: CancelOrder[];
  missed?: MissedOrder;
}

/** Whether `userId`'s devices are still to ring for `call`: the call is open and that callee has not acted. */
export const isRinging = (call: Call, userId: string): boolean =>
  (call.state === 'ringing' || call.state === 'answered') && call.callees[userId] === 'ringing';

const ringingCallees = (call: Call) => Object.keys(call.callees).filter((u) => call.callees[u] === 'ringing');

function refuse(call: Call, what: string): never {
  throw new Conflict('invalid_transition', `cannot ${what} a call that is ${call.state}`);
}

/** A callee answers or declines only while the call is open and that callee is still ringing. */
function calleeMayAct(call: Call, userId: string, what: string): void {
  if (call.state !== 'ringing' && call.state !== 'answered') refuse(call, what);
  if (call.callees[userId] !== 'ringing') {
    throw new Conflict(
      'invalid_transition',
      call.callees[userId] === undefined
        ? `user ${userId} has no part in this call`
        : `user ${userId} is already ${call.callees[userId]} in this call`,
    );
  }
}

const missedBy = (userIds: string[], reason: MissedReason) => (userIds.length ? { missed: { userIds, reason } } : {});

/**
 * A call every callee refused is over: `busy` when all of them were busy, else `declined`. Undefined while
 * some callee is still to answer.
 */
export function settledByRefusals(call: Call): 'busy' | 'declined' | undefined {
  const states = Object.values(call.callees);
  if (!states.every((s) => s === 'declined' || s === 'busy')) return undefined;
  return states.every((s) => s === 'busy') ? 'busy' : 'declined';
}

/**
 * The call state machine: ringing → answered | declined | busy | cancelled | timed_out; answered → ended.
 * In a group call each callee answers or declines (or is busy) for itself; the call is declined or busy when
 * all have refused. A call nobody answered that times out or is cancelled is missed by the callees still ringing.
 * An impossible transition throws Conflict `invalid_transition`.
 */
export function transition(call: Call, event: CallEvent, now: number): Transition {
  const next: Call = { ...call, callees: { ...call.callees }, updatedAt: now };
  switch (event.type) {
    case 'answer': {
      calleeMayAct(call, event.userId, 'answer');
      next.callees[event.userId] = 'answered';
      next.state = 'answered';
      next.answeredBy ??= { userId: event.userId, deviceId: event.deviceId };
      return {
        call: next,
        cancels: [{ userIds: [event.userId], exceptDeviceId: event.deviceId, reason: 'answered_elsewhere' }],
      };
    }
    case 'decline': {
      calleeMayAct(call, event.userId, 'decline');
      const reason = event.reason ?? 'declined';
      next.callees[event.userId] = reason;
      const ended = settledByRefusals(next);
      if (ended) {
        next.state = ended;
        next.endReason = ended;
      }
      return { call: next, cancels: [{ userIds: [event.userId], reason }] };
    }
    case 'cancel': {
      if (call.state !== 'ringing') refuse(call, 'cancel');
      next.state = 'cancelled';
      next.endReason = 'caller_cancelled';
      const unanswered = ringingCallees(call);
      return {
        call: next,
        cancels: [{ userIds: unanswered, reason: 'caller_cancelled' }],
        ...missedBy(unanswered, 'caller_cancelled'),
      };
    }
    case 'timeout': {
      if (call.state !== 'ringing' && call.state !== 'answered') refuse(call, 'time out');
      const unanswered = ringingCallees(call);
      const cancels: CancelOrder[] = unanswered.length ? [{ userIds: unanswered, reason: 'timeout' }] : [];
      // A group call someone answered was not missed: the others only stop ringing.
      if (call.state === 'answered') return { call: next, cancels };
      next.state = 'timed_out';
      next.endReason = 'timeout';
      return { call: next, cancels, ...missedBy(unanswered, 'timeout') };
    }
    case 'end':
      if (call.state !== 'answered') refuse(call, 'end');
      next.state = 'ended';
      next.endReason = 'ended';
      return { call: next, cancels: [{ userIds: ringingCallees(call), reason: 'ended' }] };
  }
}
