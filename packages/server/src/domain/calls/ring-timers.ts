import type { Clock } from '#kernel';
import type { Call } from './model.js';

/** One timer per open call on this node: at its deadline the call times out. */
export class RingTimers {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly now: Clock,
    private readonly onTimeout: (call: Call) => void,
  ) {}

  schedule(call: Call): void {
    this.clear(call.id);
    const timer = setTimeout(
      () => {
        this.timers.delete(call.id);
        this.onTimeout(call);
      },
      Math.max(0, call.expiresAt - this.now()),
    );
    timer.unref();
    this.timers.set(call.id, timer);
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
