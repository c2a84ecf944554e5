import type { Counter } from 'prom-client';
import { endpointRefusal } from '#infra/net';
import { type Clock, groupBy, systemClock } from '#kernel';
import type { ProviderClientPool, PushOutcome } from '#providers';
import { noticeMessage } from './message.js';
import type { Notice, NoticeDevice, NoticeDevices } from './notice.js';
import { retryDelay } from './retry-delay.js';

export interface NoticeSenderDeps {
  devices: NoticeDevices;
  clients: Pick<ProviderClientPool, 'get' | 'admit'>;
  /** `callpush_deliveries_total{provider,type,outcome}`: one count per device and attempt, as for calls. */
  outcomes: Pick<Counter<'provider' | 'type' | 'outcome'>, 'inc'>;
  /** The node's logger (pino), as far as notices use it. */
  log: Record<'warn' | 'error', (fields: object, message: string) => void>;
  now?: Clock;
  random?: () => number;
}

export interface NoticeSettings {
  /** Attempts per device, the first included. */
  attempts: number;
  /** The first retry's delay before jitter, ms (retry-delay.ts). */
  firstRetryMs: number;
  /** The longest wait for a retry, a provider's Retry-After included: retries are held in memory. */
  maxWaitMs: number;
}

/** Four attempts within about half a minute. */
export const NOTICE_SETTINGS: NoticeSettings = { attempts: 4, firstRetryMs: 1000, maxWaitMs: 60_000 };

/** What became of a notice on one device. */
export interface NoticeResult {
  userId: string;
  deviceId: string;
  outcome: PushOutcome;
}

/**
 * Notices carry a data map only, which only FCM and HMS send; APNs and Web Push would send the v1 message,
 * which has no member for a notice yet (message.ts). An APNs VoIP registration is never among them: a VoIP
 * push must report a call.
 */
const DATA_TRANSPORTS = new Set(['fcm', 'hms']);
const NOT_A_DATA_TRANSPORT: PushOutcome = { kind: 'skipped', reason: 'notices go only to FCM and HMS devices' };
const NO_OUTCOME: PushOutcome = { kind: 'retry', reason: 'no outcome from the provider client' };

/**
 * Sends one-off pushes that are not calls (a chat message) to every device of some users: one request per
 * credential and recipient (the data may differ per recipient), at normal priority, retrying transient
 * failures a few times before the deadline. Nothing is stored: a notice is best effort, and one lost to a
 * restart is not resent.
 *
 * A dead-token answer does not prune the device. The same answers come from a credential set up for the
 * wrong environment or project, and only the ring path's prune guard, which tracks whether the credential
 * delivers, can tell the two apart; the device's next ring prunes it there if its token is really dead.
 */
export class NoticeSender {
  private readonly now: Clock;
  private readonly random: () => number;
  /** Retries waiting for their time, ended early by close(). */
  private readonly waiting = new Set<() => void>();
  private closed = false;

  constructor(
    private readonly deps: NoticeSenderDeps,
    private readonly settings: NoticeSettings = NOTICE_SETTINGS,
  ) {
    this.now = deps.now ?? systemClock;
    this.random = deps.random ?? Math.random;
  }

  /** Sends `notice` and resolves, once every device is settled, with each device's last outcome. Never rejects. */
  async send(notice: Notice): Promise<NoticeResult[]> {
    try {
      const devices = (await Promise.all(notice.to.map((u) => this.deps.devices.devicesOf(notice.appKey, u)))).flat();
      const results: NoticeResult[] = [];
      let pending: NoticeDevice[] = [];
      for (const device of devices) {
        if (DATA_TRANSPORTS.has(device.providerType)) pending.push(device);
        else results.push(this.settled(notice, device, NOT_A_DATA_TRANSPORT));
      }
      for (let attempt = 1; pending.length > 0; attempt++) {
        const outcomes = await this.attempt(notice, pending);
        const settled = pending.map((d, i) => this.settled(notice, d, outcomes[i] ?? NO_OUTCOME));
        results.push(...settled.filter((r) => r.outcome.kind !== 'retry'));
        pending = pending.filter((_, i) => settled[i]!.outcome.kind === 'retry');
        if (pending.length > 0 && !(await this.waitToRetry(notice, attempt, outcomes))) {
          results.push(...settled.filter((r) => r.outcome.kind === 'retry'));
          break;
        }
      }
      return results;
    } catch (err) {
      // The device lookup failed (the store is away): there is no one to tell but the operator.
      this.deps.log.error(
        { err, app: notice.appKey, type: notice.type },
        'notice not sent: its devices could not be read',
      );
      return [];
    }
  }

  /** Ends the retries still waiting; their devices keep their last outcome. */
  close(): void {
    this.closed = true;
    for (const stop of this.waiting) stop();
  }

  private settled(notice: Notice, device: NoticeDevice, outcome: PushOutcome): NoticeResult {
    this.deps.outcomes.inc({ provider: device.providerType, type: notice.type, outcome: outcome.kind });
    if (outcome.kind === 'config_error') {
      this.deps.log.warn(
        { app: notice.appKey, credential: device.provider, provider: device.providerType, reason: outcome.reason },
        `${notice.type} notice not sent: the credential or the payload was refused`,
      );
    }
    return { userId: device.userId, deviceId: device.deviceId, outcome };
  }

  /**
   * Waits for the next attempt: the backoff, or longer when a provider asked. False when there is none: the
   * attempts are used up, the wait is too long to hold, it would end at or past the deadline, or closing.
   */
  private async waitToRetry(notice: Notice, attempt: number, outcomes: PushOutcome[]): Promise<boolean> {
    const asked = outcomes.map((o) => (o.kind === 'retry' ? (o.retryAfterMs ?? 0) : 0));
    const wait = Math.max(retryDelay(attempt, this.settings.firstRetryMs, this.random), ...asked);
    if (attempt >= this.settings.attempts || wait > this.settings.maxWaitMs) return false;
    if (this.closed || this.now() + wait >= notice.deadline) return false;
    return new Promise((resolve) => {
      const stop = () => {
        clearTimeout(timer);
        this.waiting.delete(stop);
        resolve(false);
      };
      const timer = setTimeout(() => {
        this.waiting.delete(stop);
        resolve(true);
      }, wait);
      this.waiting.add(stop);
    });
  }

  /** One attempt for `devices`: their outcomes, in order. */
  private async attempt(notice: Notice, devices: NoticeDevice[]): Promise<PushOutcome[]> {
    const outcomes = new Map<NoticeDevice, PushOutcome>();
    const byRecipient = groupBy(devices, (d) => d.userId);
    await Promise.all(
      [...byRecipient].map(async ([userId, own]) => {
        const payload = await this.dataFor(notice, userId);
        const groups = [...groupBy(own, (d) => d.provider).values()];
        await Promise.all(
          groups.map(async (group) => {
            const sent =
              'outcome' in payload ? group.map(() => payload.outcome) : await this.push(notice, group, payload.data);
            for (const [i, d] of group.entries()) outcomes.set(d, sent[i] ?? NO_OUTCOME);
          }),
        );
      }),
    );
    return devices.map((d) => outcomes.get(d) ?? NO_OUTCOME);
  }

  private async dataFor(
    notice: Notice,
    userId: string,
  ): Promise<{ data: Record<string, string> } | { outcome: PushOutcome }> {
    try {
      return { data: await notice.dataFor(userId) };
    } catch (err) {
      // A URL the endpoint policy refuses will be refused again; anything else may pass on a retry.
      const refused = endpointRefusal(err);
      const reason = `payload not ready: ${(refused ?? (err as Error)).message}`;
      return { outcome: refused ? { kind: 'config_error', reason } : { kind: 'retry', reason } };
    }
  }

  /** One request to one credential for one recipient's devices. */
  private async push(notice: Notice, group: NoticeDevice[], data: Record<string, string>): Promise<PushOutcome[]> {
    const all = (outcome: PushOutcome) => group.map(() => outcome);
    const head = group[0]!;
    const client = await this.deps.clients.get(notice.appKey, head.provider).catch(() => null);
    if (client === null) return all({ kind: 'retry', reason: 'the provider credential could not be read' });
    if (!client) return all({ kind: 'config_error', reason: 'the provider credential no longer exists' });
    const release = this.deps.clients.admit(notice.appKey, head.provider, group.length);
    if (!release) return all({ kind: 'retry', reason: 'shed: too many requests in flight' });
    try {
      const targets = group.map((d) => ({ deviceId: d.deviceId, token: d.token, kind: d.kind }));
      return await client.send(targets, {
        message: noticeMessage(notice, head.userId, this.now()),
        deadline: notice.deadline,
        collapseId: notice.collapseId,
        data,
        priority: 'normal',
      });
    } finally {
      release();
    }
  }
}
