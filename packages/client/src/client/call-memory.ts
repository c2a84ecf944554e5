import type { CallResult, CancelReason } from '../payload/types.js';
import type { Call } from './call.js';

/** What this device knows about one call id. */
export interface CallRecord {
  /** Kept until then: after its ring deadline a call can no longer ring. */
  expiresAt: number;
  /** The last ring seen for it (live or relayed). */
  ring?: CallResult;
  /** The `incomingCall` emitted for it: kept after it stops, for the missed notice that may follow. */
  call?: Call;
  /** A `callNotification` was emitted (manual handling). */
  notified?: boolean;
  /** The gateway has the receipt. */
  receipted?: boolean;
  /** A cancel (or a status saying the call is over) arrived: a late ring for this call must never ring. */
  cancelled?: CancelReason;
  /** Its missed notice was told (the same notice comes by push and over the socket). */
  missed?: boolean;
}

/** Kept this long when a message carries no deadline (the gateway's longest ring is 120 s). */
const DEFAULT_RETENTION_MS = 5 * 60_000;

/**
 * Call ids seen recently, so that one ring arriving by push, by socket and again in a catch-up after a
 * reconnect rings once. Bounded: expired records go first, then the oldest.
 */
export class CallMemory {
  private readonly records = new Map<string, CallRecord>();

  constructor(private readonly limit = 256) {}

  /** The record of `callId`, created if new; kept at least until `expiresAt`. */
  note(callId: string, expiresAt: number | undefined): CallRecord {
    const until = expiresAt ?? Date.now() + DEFAULT_RETENTION_MS;
    const found = this.records.get(callId);
    if (found) {
      found.expiresAt = Math.max(found.expiresAt, until);
      return found;
    }
    if (this.records.size >= this.limit) this.evict();
    const record: CallRecord = { expiresAt: until };
    this.records.set(callId, record);
    return record;
  }

  get(callId: string): CallRecord | undefined {
    return this.records.get(callId);
  }

  /** The call ids whose last ring was for a Kaleyra room. */
  idsOfRoom(roomId: string): string[] {
    return [...this.records].filter(([, r]) => r.ring?.roomId === roomId).map(([id]) => id);
  }

  /** Forgets everything, silencing the calls' local deadlines. */
  clear(): void {
    for (const record of this.records.values()) record.call?.dispose();
    this.records.clear();
  }

  private evict(): void {
    const now = Date.now();
    for (const [id, record] of this.records) if (record.expiresAt < now) this.records.delete(id);
    const oldest = this.records.keys().next();
    if (this.records.size >= this.limit && !oldest.done) this.records.delete(oldest.value);
  }
}
