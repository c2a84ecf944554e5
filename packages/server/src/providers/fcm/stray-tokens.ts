/**
 * SENDER_ID_MISMATCH says a token belongs to another Firebase project. One such token is a stray and dead for
 * us; but when the credential itself names the wrong project every token says so, and deleting them would
 * wipe the registry (docs/providers.md#fcm-sender-id-mismatch). So a mismatch counts as a stray only while this credential is
 * delivering to other tokens.
 */
const RECENT_DELIVERY_MS = 10 * 60_000;

export class StrayTokenJudge {
  private lastDeliveredAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly now: () => number) {}

  delivered(): void {
    this.lastDeliveredAt = this.now();
  }

  /** Whether a mismatch now is an isolated token rather than a wrong credential. */
  isStray(): boolean {
    return this.now() - this.lastDeliveredAt <= RECENT_DELIVERY_MS;
  }
}
