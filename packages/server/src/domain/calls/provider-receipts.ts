import type { Kysely } from 'kysely';
import type { Database, Store } from '#infra/store';
import { type Clock, systemClock } from '#kernel';
import { deliveryEvents, type EventLog } from './call-events.js';
import type { Delivery, ProviderReceiptKind } from './model.js';
import { toDelivery } from './repository.js';

/** One status of a provider's delivery receipt, already read into callpush's terms by the provider's module. */
export interface ProviderReceipt {
  /** The provider's id of the accepted request (HMS `requestId`), the delivery's `providerId`. */
  providerId: string;
  token: string;
  kind: ProviderReceiptKind;
  /** callpush's words for the status, with the provider's code (`HMS receipt 2: the app is not installed`). */
  reason: string;
  /** When the provider says it happened, epoch ms (clamped between the send and now). */
  at: number;
}

export interface ProviderReceiptsDeps {
  store: Store;
  events: EventLog;
  now?: Clock;
}

/**
 * A kind never gives way to an earlier one: `held` and `unknown` may still turn into `delivered` or
 * `undelivered` (the app started, the message expired), which are final.
 */
const REPLACEABLE: ProviderReceiptKind[] = ['held', 'unknown'];

/**
 * Records providers' delivery receipts on the deliveries they report (docs/providers.md#hms-receipts). The
 * receipt is the provider's word, not the device's: it never sets `receivedAt` (the funnel's `received` step
 * stays the device's own receipt, which it neither overwrites nor duplicates) and prunes nothing. An
 * `undelivered` status fails a delivery that was only sent, with outcome `undelivered`, and reports
 * `delivery.failed` in the same transaction.
 */
export class ProviderReceipts {
  private readonly now: Clock;

  constructor(private readonly deps: ProviderReceiptsDeps) {
    this.now = deps.now ?? systemClock;
  }

  /**
   * Records `receipts` for the push deliveries of `appKey` made with one of the credentials `providers`; for each
   * receipt, whether it found its delivery (one that did not is another app's, or gone to retention: ignored).
   */
  async record(appKey: string, providers: string[], receipts: ProviderReceipt[]): Promise<boolean[]> {
    if (providers.length === 0) return receipts.map(() => false);
    const wantsFailed = receipts.some((r) => r.kind === 'undelivered')
      ? await this.deps.events.wants(appKey, 'delivery.failed')
      : false;
    const found: boolean[] = [];
    for (const receipt of receipts) {
      const delivery = await this.find(appKey, providers, receipt);
      if (delivery) await this.apply(delivery, receipt, wantsFailed);
      found.push(delivery !== undefined);
    }
    return found;
  }

  private async find(appKey: string, providers: string[], receipt: ProviderReceipt): Promise<Delivery | undefined> {
    const row = await this.deps.store.db
      .selectFrom('deliveries')
      .selectAll()
      .where('app_key', '=', appKey)
      .where('provider_id', '=', receipt.providerId)
      .where('token', '=', receipt.token)
      .where('provider', 'in', providers)
      .where('transport', '=', 'push')
      .executeTakeFirst();
    return row && toDelivery(row);
  }

  private async apply(d: Delivery, receipt: ProviderReceipt, wantsFailed: boolean): Promise<void> {
    const now = this.now();
    const at = Math.min(now, Math.max(receipt.at, d.sentAt ?? d.createdAt));
    // Only a delivery still just sent fails: one the device confirmed stays received whatever the provider says.
    const fails = receipt.kind === 'undelivered' && d.state === 'sent' && d.receivedAt === undefined;
    const write = async (db: Kysely<Database>, failing: boolean) => {
      let update = db
        .updateTable('deliveries')
        .set({
          provider_receipt: receipt.kind,
          provider_receipt_reason: receipt.reason,
          provider_receipt_at: at,
          ...(failing ? { state: 'failed', outcome: 'undelivered', detail: receipt.reason } : {}),
          updated_at: now,
        })
        .where('id', '=', d.id)
        .where((eb) => eb.or([eb('provider_receipt', 'is', null), eb('provider_receipt', 'in', REPLACEABLE)]));
      // The failure holds only in the state it was read in: a device receipt that came meanwhile wins.
      if (failing) update = update.where('state', '=', 'sent').where('received_at', 'is', null);
      return Number((await update.executeTakeFirst()).numUpdatedRows) === 1;
    };
    if (!fails) {
      await write(this.deps.store.db, false);
      return;
    }
    const events = wantsFailed
      ? deliveryEvents(d, { state: 'failed', outcome: 'undelivered', detail: receipt.reason }, at)
      : [];
    const failed = await this.deps.store.db.transaction().execute(async (tx) => {
      const updated = await write(tx, true);
      if (updated && events.length > 0) await this.deps.events.writerOf(events)(tx);
      return updated;
    });
    if (!failed) await write(this.deps.store.db, false);
    else if (events.length > 0) this.deps.events.written();
  }
}
