import type { Cluster } from '#infra/cluster';

/**
 * Nonces of the callback ids accepted lately, each kept as long as its header could still pass the timestamp
 * check: a captured header replayed with another body is refused. Kept on this node and, with Redis, claimed
 * across the nodes, so a replay to another node is refused too; while Redis is unreachable only this node's
 * memory holds (docs/providers.md#hms-receipts).
 */
export class ReceiptNonces {
  private readonly local: NonceCache;

  constructor(
    private readonly cluster: Pick<Cluster, 'claim' | 'unclaim'>,
    private readonly keepMs: number,
  ) {
    this.local = new NonceCache(keepMs);
  }

  /** Claims `nonce` at `now`; false when this node or another had it. */
  async claim(nonce: string, now: number): Promise<boolean> {
    if (!this.local.claim(nonce, now)) return false;
    if ((await this.cluster.claim(key(nonce), this.keepMs)) !== false) return true;
    this.local.release(nonce);
    return false;
  }

  /** Gives a nonce back everywhere: the receipt could not be recorded, so Huawei's retry must pass. */
  async release(nonce: string): Promise<void> {
    this.local.release(nonce);
    await this.cluster.unclaim(key(nonce));
  }
}

const key = (nonce: string) => `hms-receipt-nonce:${nonce}`;

/** One node's memory of claimed nonces, bounded. */
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
