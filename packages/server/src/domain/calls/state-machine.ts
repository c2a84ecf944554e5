import { type CancelReason, Conflict } from '#kernel';
import type { Call } from './model.js';

export type CallEvent =
  | { type: 'answer'; userId: string; deviceId: string }
  | { type: 'decline'; userId: string }
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

export interface Transition {
  call: Call;
  cancels: CancelOrder[];
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
      `user ${userId} has already ${call.callees[userId] ?? 'no part in this call'}`,
    );
  }
}

/**
 * The call state machine: ringing → answered | declined | cancelled | timed_out; answered → ended.
 * In a group call each callee answers or declines for itself; the call is declined when all have declined.
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
      next.callees[event.userId] = 'declined';
      if (Object.values(next.callees).every((s) => s === 'declined')) {
        next.state = 'declined';
        next.endReason = 'declined';
      }
      return { call: next, cancels: [{ userIds: [event.userId], reason: 'declined' }] };
    }
    case 'cancel':
      if (call.state !== 'ringing') refuse(call, 'cancel');
      next.state = 'cancelled';
      next.endReason = 'caller_cancelled';
      return { call: next, cancels: [{ userIds: ringingCallees(call), reason: 'caller_cancelled' }] };
    case 'timeout': {
      if (call.state !== 'ringing' && call.state !== 'answered') refuse(call, 'time out');
      const unanswered = ringingCallees(call);
      if (call.state === 'ringing') {
        next.state = 'timed_out';
        next.endReason = 'timeout';
      }
      return { call: next, cancels: unanswered.length ? [{ userIds: unanswered, reason: 'timeout' }] : [] };
    }
    case 'end':
      if (call.state !== 'answered') refuse(call, 'end');
      next.state = 'ended';
      next.endReason = 'ended';
      return { call: next, cancels: [{ userIds: ringingCallees(call), reason: 'ended' }] };
  }
}
