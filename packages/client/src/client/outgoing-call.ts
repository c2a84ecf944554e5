import { isRecord, isText } from '../payload/read.js';
import { type GatewayCallState, isGatewayCallState } from './call-status.js';
import { Emitter } from './emitter.js';

/** One callee of a placed call, as the gateway has it. */
export type CalleeState = 'ringing' | 'answered' | 'declined' | 'busy';

/** Where an outgoing call stands: the call's state and each callee's. */
export interface OutgoingCallUpdate {
  state: GatewayCallState;
  callees: Readonly<Record<string, CalleeState>>;
  /** Why it ended, once it has (the gateway's words: `caller_cancelled`, `timeout`, `ended`, …). */
  endReason?: string;
  /** The callee device that answered. */
  answeredBy?: { userId: string; deviceId: string };
}

export type OutgoingCallEvents = {
  /** The call's state or a callee's changed, whether a `call.state` frame or a request's answer said so. */
  state: [update: OutgoingCallUpdate];
};

/** A call this user placed, as the gateway answers `POST /v1/calls` (and its cancel and end). */
export interface PlacedCall {
  callId: string;
  state: string;
  to: string[];
  expiresAt: number;
  callees?: Record<string, string>;
  endReason?: string;
  answeredBy?: { userId: string; deviceId: string };
}

/** What an OutgoingCall asks of the gateway. */
export interface OutgoingActions {
  act(callId: string, action: 'cancel' | 'end'): Promise<PlacedCall>;
}

/** A `call.state` frame of the active connection, checked. */
export interface CallStateFrame extends OutgoingCallUpdate {
  callId: string;
  updatedAt: number;
}

const CALLEE_STATES: ReadonlySet<unknown> = new Set<CalleeState>(['ringing', 'answered', 'declined', 'busy']);

/** Ringing, then answered, then over: a call never goes back, so an older word can be told apart from a newer. */
const rank = (state: GatewayCallState) => (state === 'ringing' ? 0 : state === 'answered' ? 1 : 2);

/** The call is over: nothing changes any more. */
export const isFinal = (state: GatewayCallState): boolean => rank(state) === 2;

/** The call's update in a gateway answer or frame, copied out; undefined when any field is off. */
function readUpdate(value: Record<string, unknown>): OutgoingCallUpdate | undefined {
  const { state, callees, endReason, answeredBy } = value;
  if (!isGatewayCallState(state) || !isRecord(callees)) return undefined;
  const entries = Object.entries(callees);
  if (!entries.every(([, s]) => CALLEE_STATES.has(s))) return undefined;
  if (endReason !== undefined && typeof endReason !== 'string') return undefined;
  let by: OutgoingCallUpdate['answeredBy'];
  if (answeredBy !== undefined) {
    if (!isRecord(answeredBy) || !isText(answeredBy.userId) || !isText(answeredBy.deviceId)) return undefined;
    by = { userId: answeredBy.userId, deviceId: answeredBy.deviceId };
  }
  return {
    state,
    callees: Object.fromEntries(entries) as Record<string, CalleeState>,
    ...(endReason === undefined ? {} : { endReason }),
    ...(by ? { answeredBy: by } : {}),
  };
}

/** A `call.state` frame, or undefined for anything else (a hostile or newer frame is ignored, never thrown on). */
export function readCallStateFrame(frame: Record<string, unknown>): CallStateFrame | undefined {
  const { callId, updatedAt } = frame;
  if (frame.type !== 'call.state' || !isText(callId) || !Number.isSafeInteger(updatedAt)) return undefined;
  const update = readUpdate(frame);
  return update && { ...update, callId, updatedAt: updatedAt as number };
}

const sameUpdate = (a: OutgoingCallUpdate, b: OutgoingCallUpdate) =>
  a.state === b.state &&
  a.endReason === b.endReason &&
  a.answeredBy?.deviceId === b.answeredBy?.deviceId &&
  a.answeredBy?.userId === b.answeredBy?.userId &&
  Object.keys(a.callees).length === Object.keys(b.callees).length &&
  Object.entries(a.callees).every(([user, s]) => b.callees[user] === s);

/**
 * A call placed by this user: cancel it before an answer, end it after. It follows the call from the `call.state`
 * frames of the active connection and from the answers to its own requests, whichever comes first.
 */
export class OutgoingCall {
  readonly callId: string;
  readonly to: readonly string[];
  readonly expiresAt: number;
  private current: OutgoingCallUpdate;
  /** The `updatedAt` of the last frame applied: frames of one call may overtake each other across nodes. */
  private frameAt = -1;
  private readonly events = new Emitter<OutgoingCallEvents>();

  constructor(
    placed: PlacedCall,
    private readonly actions: OutgoingActions,
  ) {
    this.callId = placed.callId;
    this.to = placed.to;
    this.expiresAt = placed.expiresAt;
    // A gateway without callee states in its answer: every callee rings until told otherwise.
    const ringing = Object.fromEntries(placed.to.map((user) => [user, 'ringing' as const]));
    this.current = readUpdate({ callees: ringing, ...placed }) ?? { state: 'ringing', callees: ringing };
  }

  /** ringing, answered, declined, busy, cancelled, timed_out or ended. */
  get state(): GatewayCallState {
    return this.current.state;
  }

  /** Each callee: ringing, answered, declined or busy. */
  get callees(): Readonly<Record<string, CalleeState>> {
    return this.current.callees;
  }

  get endReason(): string | undefined {
    return this.current.endReason;
  }

  get answeredBy(): OutgoingCallUpdate['answeredBy'] {
    return this.current.answeredBy;
  }

  on<K extends keyof OutgoingCallEvents>(event: K, listener: (...args: OutgoingCallEvents[K]) => void): () => void {
    return this.events.on(event, listener);
  }

  /** Hangs up before an answer: every callee device gets `call.cancel` (`caller_cancelled`). */
  async cancel(): Promise<void> {
    this.answer(await this.actions.act(this.callId, 'cancel'));
  }

  /** The answered call is over. */
  async end(): Promise<void> {
    this.answer(await this.actions.act(this.callId, 'end'));
  }

  /** @internal A `call.state` frame of this call; an older one than the last applied is dropped. */
  follow(frame: CallStateFrame): void {
    if (frame.updatedAt < this.frameAt) return;
    this.frameAt = frame.updatedAt;
    const { callId: _, updatedAt: __, ...update } = frame;
    this.apply(update);
  }

  private answer(placed: PlacedCall): void {
    const update = readUpdate({ callees: this.current.callees, ...placed });
    if (update) this.apply(update);
  }

  /** Applies what the gateway said unless the call is already further along (or over). */
  private apply(update: OutgoingCallUpdate): void {
    const now = this.current.state;
    if (rank(update.state) < rank(now) || (isFinal(now) && update.state !== now)) return;
    if (sameUpdate(update, this.current)) return;
    this.current = update;
    this.events.emit('state', update);
  }
}
