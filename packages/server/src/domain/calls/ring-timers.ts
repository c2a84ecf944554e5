import type { Clock } from '#kernel';
import type { Call } from './model.js';

/**
 * One timer per open call on this node: at its deadline the call times out. A timer holds the call's key and
 * id, not the call: a node ringing a thousand calls a second for a minute holds sixty thousand of them.
 */
export class RingTimers {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly now: Clock,
    private readonly onTimeout: (appKey: string, callId: string) => void,
  ) {}

  schedule(call: Call): void {
    const { appKey, id } = call;
    this.clear(id);
    const timer = setTimeout(
      () => {
        this.timers.delete(id);
        this.onTimeout(appKey, id);
      },
      Math.max(0, call.expiresAt - this.now()),
    );
    timer.unref();
    this.timers.set(id, timer);
  }

  clear(callId: string): void {
    const timer = this.timers.get(callId);
    if (timer) clearTimeout(timer);
    this.timers.delete(callId);
  }

  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
