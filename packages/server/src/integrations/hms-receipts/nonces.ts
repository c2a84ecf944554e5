/**
 * Nonces of the callback ids accepted lately, each kept as long as its header could still pass the timestamp
 * check: a captured header replayed with another body is refused. Per node (a replay to another node of a
 * cluster passes this check; docs/providers.md#hms-receipts says what that leaves).
 */
export class NonceCache {
  private readonly until = new Map<string, number>();

  constructor(
    private readonly keepMs: number,
    private readonly max = 100_000,
  ) {}

  /** Claims `nonce` at `now`; false when it was claimed and is still kept. */
  claim(nonce: string, now: number): boolean {
    const kept = this.until.get(nonce);
    if (kept !== undefined && kept > now) return false;
    if (this.until.size >= this.max) this.sweep(now);
    this.until.set(nonce, now + this.keepMs);
    return true;
  }

  /** Gives a nonce back: the receipt it came with could not be recorded, so Huawei's retry must pass. */
  release(nonce: string): void {
    this.until.delete(nonce);
  }

  /** Drops the expired; when every one is still kept, the oldest (a Map iterates in insertion order). */
  private sweep(now: number): void {
    for (const [nonce, until] of this.until) if (until <= now) this.until.delete(nonce);
    for (const nonce of this.until.keys()) {
      if (this.until.size < this.max) break;
      this.until.delete(nonce);
    }
  }
}
