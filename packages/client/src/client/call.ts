import type { CallResult, CancelReason, MissedDetails } from '../payload/types.js';
import { Emitter } from './emitter.js';

export type CallState = 'ringing' | 'answered' | 'declined' | 'cancelled';

/** A missed-call notice as `queryPushPayload` reads it: the caller, the call, why it was missed, its text. */
export type MissedCallNotice = CallResult & { missed: MissedDetails };

export type CallEvents = {
  /** The call stopped ringing before this device answered or declined: `timeout` also when its deadline passed. */
  cancelled: [reason: CancelReason];
  /** `answer()` succeeded, or the gateway says this device answered the call. */
  answered: [];
  declined: [];
  /** The gateway counts the call as missed by this user; a call still ringing is `cancelled` first. */
  missed: [notice: MissedCallNotice];
};

export interface DeclineOptions {
  /** `busy`: this user is in another call; the call becomes `busy` when every callee is. */
  reason?: 'busy';
}

/** What a Call asks of the gateway (the client's HTTP API with the user token). */
export interface CallActions {
  respond(callId: string, action: 'answer' | 'decline', extra?: DeclineOptions): Promise<void>;
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
    this.answered();
  }

  /**
   * Declines on this device (and, for the gateway, for this user). `{reason: 'busy'}` says the user is in
   * another call: the gateway records the callee as busy rather than declined.
   */
  async decline(options: DeclineOptions = {}): Promise<void> {
    await this.actions.respond(this.callId, 'decline', options.reason ? { reason: options.reason } : undefined);
    // A request the gateway accepted wins over what this side concluded meanwhile (its local timeout).
    if (this.current === 'declined') return;
    this.settle('declined');
    this.events.emit('declined');
  }

  /** @internal Ends the ring from outside (a cancel, the deadline); a call no longer ringing ignores it. */
  stop(reason: CancelReason): void {
    if (this.current !== 'ringing') return;
    this.settle('cancelled');
    this.events.emit('cancelled', reason);
  }

  /** @internal The gateway says this device answered (a receipt or status answer); emitted once. */
  answered(): void {
    if (this.current === 'answered') return;
    this.settle('answered');
    this.events.emit('answered');
  }

  /** @internal A missed-call notice for this call (the client tells each once): stops a ring still showing. */
  miss(notice: MissedCallNotice): void {
    this.stop(notice.missed.reason);
    this.events.emit('missed', notice);
  }

  /** @internal Forgets the deadline without a word (the client is disconnecting). */
  dispose(): void {
    clearTimeout(this.timer);
  }

  private settle(state: CallState): void {
    clearTimeout(this.timer);
    this.current = state;
  }
}
