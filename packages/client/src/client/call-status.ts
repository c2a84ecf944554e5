import type { CancelReason } from '../payload/types.js';

/** A call's state on the gateway. */
export type GatewayCallState = 'ringing' | 'answered' | 'declined' | 'busy' | 'cancelled' | 'timed_out' | 'ended';

/**
 * What the call's state means for this callee device: `ringing` (keep ringing), `answered` (on this device),
 * `answered_elsewhere`, or the state the call ended in.
 */
export type CallDeviceStatus =
  | 'ringing'
  | 'answered'
  | 'answered_elsewhere'
  | 'declined'
  | 'busy'
  | 'cancelled'
  | 'timed_out'
  | 'ended';

/** `GET /v1/calls/{id}/status`, and the `call` of a receipt's answer. */
export interface CallStatus {
  callId: string;
  state: GatewayCallState;
  status: CallDeviceStatus;
  endReason?: string;
}

const STATES: ReadonlySet<unknown> = new Set<GatewayCallState>([
  'ringing',
  'answered',
  'declined',
  'busy',
  'cancelled',
  'timed_out',
  'ended',
]);

/** Every status but `ringing` and `answered` stops the ring, with the cancel reason the gateway's cancel has. */
const STOP_REASONS: Record<Exclude<CallDeviceStatus, 'ringing' | 'answered'>, CancelReason> = {
  answered_elsewhere: 'answered_elsewhere',
  declined: 'declined',
  busy: 'busy',
  cancelled: 'caller_cancelled',
  timed_out: 'timeout',
  ended: 'ended',
};

const STATUSES: ReadonlySet<unknown> = new Set(['ringing', 'answered', ...Object.keys(STOP_REASONS)]);

export const isGatewayCallState = (value: unknown): value is GatewayCallState => STATES.has(value);

/** The gateway's answer checked field by field; undefined when it is not a status of `callId`. */
export function readCallStatus(value: unknown, callId: string): CallStatus | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { callId: id, state, status, endReason } = value as Record<string, unknown>;
  if (id !== callId || !isGatewayCallState(state) || !STATUSES.has(status)) return undefined;
  if (endReason !== undefined && typeof endReason !== 'string') return undefined;
  return { callId, state, status: status as CallDeviceStatus, ...(endReason === undefined ? {} : { endReason }) };
}

/** What a status means for a ring showing on this device: keep it, it was answered here, or stop it (why). */
export function ringOutcome(status: CallDeviceStatus): 'ringing' | 'answered' | CancelReason {
  return status === 'ringing' || status === 'answered' ? status : STOP_REASONS[status];
}
