import { Counter, type Registry } from 'prom-client';
import type { ProviderReceipt, ProviderReceipts } from '#domain/calls';
import type { Cluster } from '#infra/cluster';
import { type Clock, systemClock, Unauthenticated } from '#kernel';
import {
  CALLBACK_TOLERANCE_MS,
  type CallbackSecret,
  hmsReceiptStatus,
  type ProvidersService,
  verifyHmsCallbackId,
} from '#providers';
import { type HmsReceiptBody, statusesOf } from './body.js';
import { ReceiptNonces } from './nonces.js';

/** Who signed a receipt: the app's HMS credentials whose receipt configuration the callback id matches. */
export interface ReceiptSigners {
  /** Credential names: only their deliveries may be reported on. */
  names: string[];
  /** Their Huawei app ids: a v1 status of another app (a project-level configuration) is ignored. */
  appIds: Set<string>;
  nonce: string;
}

export interface ReceiptAnswer {
  /** What Huawei's receipt API expects back. */
  errno: '0';
  errmsg: 'success';
  /** Statuses recorded on a delivery. */
  matched: number;
  /** Statuses of no delivery of the app's signing credentials (another app's, or gone to retention). */
  ignored: number;
}

export interface HmsReceiptIntakeDeps {
  providers: ProvidersService;
  /** Nonces are claimed across the nodes. */
  cluster: Pick<Cluster, 'claim' | 'unclaim'>;
  receipts: ProviderReceipts;
  metrics: Registry;
  now?: Clock;
}

type Result = 'delivered' | 'held' | 'undelivered' | 'unknown_status' | 'unmatched' | 'other_app';

/**
 * Huawei Push Kit's message receipts for one app (docs/providers.md#hms-receipts): authenticated by the
 * callback id of a receipt configuration one of the app's HMS credentials holds, before the body is read; each
 * status is then read into callpush's terms and recorded on the delivery its request id and token name.
 */
export class HmsReceiptIntake {
  private readonly now: Clock;
  private readonly nonces: ReceiptNonces;
  private readonly statuses: Counter<'result'>;
  private readonly refusals: Counter;

  constructor(private readonly deps: HmsReceiptIntakeDeps) {
    this.now = deps.now ?? systemClock;
    this.nonces = new ReceiptNonces(deps.cluster, 2 * CALLBACK_TOLERANCE_MS);
    this.statuses = new Counter({
      name: 'callpush_hms_receipt_statuses_total',
      help: 'statuses of HMS message receipts: delivered, held, undelivered, unknown_status; unmatched (no such delivery) and other_app are ignored',
      labelNames: ['result'],
      registers: [deps.metrics],
    });
    this.refusals = new Counter({
      name: 'callpush_hms_receipts_refused_total',
      help: 'HMS receipt requests refused as unauthenticated (no receipts configured, bad or replayed callback id)',
      registers: [deps.metrics],
    });
  }

  /** Checks the `X-HUAWEI-CALLBACK-ID` header of a receipt for `appKey`: Unauthenticated when it does not hold. */
  async authenticate(appKey: string, header: string | undefined): Promise<ReceiptSigners> {
    try {
      const configured = await this.configured(appKey);
      // Same answer as a bad header: an app without receipts and a wrong key look alike to a prober.
      if (configured.length === 0) throw refused('no HMS credential of this app has receipts configured');
      const now = this.now();
      const { nonce, matches } = verifyHmsCallbackId(
        header,
        configured.map((c) => c.secret),
        now,
      );
      if (!(await this.nonces.claim(nonce, now))) throw refused('X-HUAWEI-CALLBACK-ID was used before');
      const signers = matches.map((i) => configured[i]!);
      return { names: signers.map((s) => s.name), appIds: new Set(signers.map((s) => s.appId)), nonce };
    } catch (err) {
      if (err instanceof Unauthenticated) this.refusals.inc();
      throw err;
    }
  }

  /** Records the statuses of an authenticated receipt. */
  async intake(appKey: string, signers: ReceiptSigners, body: HmsReceiptBody): Promise<ReceiptAnswer> {
    const statuses = statusesOf(body);
    try {
      const now = this.now();
      const ours = statuses.filter((s) => s.appId === undefined || signers.appIds.has(s.appId));
      const receipts = ours.map((s): ProviderReceipt => {
        const { kind, reason } = hmsReceiptStatus(s.status);
        return { providerId: s.requestId, token: s.token, kind, reason, at: s.at ?? now };
      });
      const found = await this.deps.receipts.record(appKey, signers.names, receipts);
      const results: Result[] = receipts.map((r, i) =>
        !found[i] ? 'unmatched' : r.kind === 'unknown' ? 'unknown_status' : r.kind,
      );
      for (const result of results) this.statuses.inc({ result });
      if (ours.length < statuses.length) this.statuses.inc({ result: 'other_app' }, statuses.length - ours.length);
      const matched = found.filter(Boolean).length;
      return { errno: '0', errmsg: 'success', matched, ignored: statuses.length - matched };
    } catch (err) {
      // Not recorded: Huawei's retry of this receipt, with the same callback id, must not be refused as a replay.
      await this.nonces.release(signers.nonce);
      throw err;
    }
  }

  /** The app's HMS credentials with receipts configured, with their callback secrets. */
  private async configured(appKey: string): Promise<Array<{ name: string; appId: string; secret: CallbackSecret }>> {
    const views = (await this.deps.providers.list(appKey)).filter((v) => v.type === 'hms' && v.config.receipts);
    const credentials = await Promise.all(
      views.map(async (v) => ({
        name: v.name,
        credential: await this.deps.providers.secretCredential(appKey, v.name),
      })),
    );
    return credentials.flatMap(({ name, credential }) => {
      if (credential?.type !== 'hms' || !credential.receipts) return [];
      const { username, key } = credential.receipts;
      return [{ name, appId: credential.appId, secret: { username, key } }];
    });
  }
}

const refused = (message: string) => new Unauthenticated('invalid_webhook_signature', message);
