import type { CallResult, CancelReason } from '../payload/types.js';
import { Emitter } from './emitter.js';

export type CallState = 'ringing' | 'answered' | 'declined' | 'cancelled';

export type CallEvents = {
  /** The call stopped ringing before this device answered or declined: `timeout` also when its deadline passed. */
  cancelled: [reason: CancelReason];
  answered: [];
  declined: [];
};

/** What a Call asks of the gateway (the client's HTTP API with the user token). */
export interface CallActions {
  respond(callId: string, action: 'answer' | 'decline'): Promise<void>;
}

/** An incoming call ringing on this device. */
export class Call {
  readonly callId: string;
  readonly remoteUserId: string;
  readonly displayName: string | undefined;
  readonly videoOffered: boolean;
  readonly headers: Readonly<Record<string, string>>;
  /** Epoch ms of the ring deadline. */
  readonly expiresAt: number;
  /** The Kaleyra room, for a call placed from a Kaleyra webhook. */
  readonly roomId: string | undefined;
  private current: CallState = 'ringing';
  private readonly events = new Emitter<CallEvents>();
  private readonly timer: ReturnType<typeof setTimeout>;

  /** @param deadline epoch ms at which the call times out locally (its `expiresAt` plus the allowed clock skew). */
  constructor(
    ring: CallResult & { expiresAt: number },
    deadline: number,
    private readonly actions: CallActions,
  ) {
    this.callId = ring.callId;
    this.remoteUserId = ring.remoteUserId;
    this.displayName = ring.displayName;
    this.videoOffered = ring.videoOffered;
    this.headers = ring.headers;
    this.expiresAt = ring.expiresAt;
    this.roomId = ring.roomId;
    // The gateway's timeout cancel may never reach an offline device; the deadline alone stops the ring. One
    // ms past it, as queryPushPayload calls a ring timed out only once the deadline is strictly past.
    this.timer = setTimeout(() => this.stop('timeout'), Math.max(0, deadline + 1 - Date.now()));
  }

  get state(): CallState {
    return this.current;
  }

  on<K extends keyof CallEvents>(event: K, listener: (...args: CallEvents[K]) => void): () => void {
    return this.events.on(event, listener);
  }

  /** Answers on this device; the gateway stops the ring on the user's other devices. */
  async answer(): Promise<void> {
    await this.actions.respond(this.callId, 'answer');
    this.settle('answered');
    this.events.emit('answered');
  }

  /** Declines on this device (and, for the gateway, for this user). */
  async decline(): Promise<void> {
    await this.actions.respond(this.callId, 'decline');
    this.settle('declined');
    this.events.emit('declined');
  }

  /** Ends the ring from outside (a cancel, the deadline); a call no longer ringing ignores it. */
  stop(reason: CancelReason): void {
    if (this.current !== 'ringing') return;
    this.settle('cancelled');
    this.events.emit('cancelled', reason);
  }

  /** Forgets the deadline without a word (the client is disconnecting). */
  dispose(): void {
    clearTimeout(this.timer);
  }

  private settle(state: CallState): void {
    clearTimeout(this.timer);
    this.current = state;
  }
}

/** A call this user placed. */
export interface PlacedCall {
  callId: string;
  state: string;
  to: string[];
  expiresAt: number;
}

/** What an OutgoingCall asks of the gateway. */
export interface OutgoingActions {
  act(callId: string, action: 'cancel' | 'end'): Promise<PlacedCall>;
}

/** A call placed by this user: cancel it before an answer, end it after. */
export class OutgoingCall {
  readonly callId: string;
  readonly to: readonly string[];
  readonly expiresAt: number;
  private current: string;

  constructor(
    placed: PlacedCall,
    private readonly actions: OutgoingActions,
  ) {
    this.callId = placed.callId;
    this.to = placed.to;
    this.expiresAt = placed.expiresAt;
    this.current = placed.state;
  }

  /** The gateway's state as of the last request: ringing, answered, declined, cancelled, timed_out or ended. */
  get state(): string {
    return this.current;
  }

  /** Hangs up before an answer: every callee device gets `call.cancel` (`caller_cancelled`). */
  async cancel(): Promise<void> {
    this.current = (await this.actions.act(this.callId, 'cancel')).state;
  }

  /** The answered call is over. */
  async end(): Promise<void> {
    this.current = (await this.actions.act(this.callId, 'end')).state;
  }
}
