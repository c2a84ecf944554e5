import type { FastifyBaseLogger } from 'fastify';
import { type Clock, groupBy, systemClock } from '#kernel';
import type { CallsService } from './calls-service.js';
import type { Dispatcher } from './dispatch/index.js';
import type { Delivery } from './model.js';
import type { CallsRepository } from './repository.js';
import { isRinging } from './state-machine.js';

export interface LeaseSettings {
  /** This node's id, written on the deliveries it works on. */
  owner: string;
  /** How long a lease lasts without renewal: how long a dead node's deliveries wait for another node. */
  ms: number;
  /**
   * No other node can exist (the embedded database): at start every lease is a previous run's, so its work is
   * taken over at once instead of when the lease runs out.
   */
  alone?: boolean;
}

export interface LeaseDeps {
  repo: CallsRepository;
  dispatcher: Dispatcher;
  /** Calls whose node died before their deadline are timed out here. */
  calls: Pick<CallsService, 'apply'>;
  log: FastifyBaseLogger;
  now?: Clock;
}

/** Deliveries claimed per pass: a dead node's backlog is taken over in slices, soonest deadline first. */
const CLAIM_BATCH = 500;
/** A call still ringing this long past its deadline was not timed out by its node, which must have died. */
const TIMEOUT_GRACE_MS = 2000;

/**
 * Keeps the deliveries this node works on leased to it, and takes over those of nodes that died: once a call
 * is accepted, a crash loses none of it, and the database hands owed deliveries to one node at a time
 * (docs/scale-out.md). The node that
 * accepts a call dispatches it directly while holding the lease; nothing waits for this loop unless that node
 * is gone. The same loop resumes a single node's work after a crash.
 */
export class LeaseKeeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  private readonly repo: CallsRepository;
  private readonly now: Clock;

  constructor(
    private readonly deps: LeaseDeps,
    private readonly settings: LeaseSettings,
  ) {
    this.repo = deps.repo;
    this.now = deps.now ?? systemClock;
  }

  /** Starts the loop; the first pass runs now. */
  start(): Promise<void> {
    const period = Math.max(100, Math.floor(this.settings.ms / 3));
    this.timer = setInterval(() => void this.pass(), period);
    this.timer.unref();
    return this.pass(this.settings.alone);
  }

  /** One renewal and takeover pass (never two at once); `all` takes over unexpired leases too. */
  pass(all = false): Promise<void> {
    this.running ??= this.work(all)
      .catch((err: unknown) => this.deps.log.error({ err }, 'delivery lease pass failed'))
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  /** Stops the loop and hands this node's leases over at once (a clean shutdown loses no time). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    await this.repo.releaseLeases(this.settings.owner);
  }

  private async work(all: boolean): Promise<void> {
    const now = this.now();
    const until = now + this.settings.ms;
    const leasedBefore = all ? Number.MAX_SAFE_INTEGER : now;
    await this.repo.renewLeases(this.settings.owner, until);
    await this.repo.expireOverdueLeases(leasedBefore, now);
    const claimed = await this.repo.claimExpiredLeases(this.settings.owner, leasedBefore, now, until, CLAIM_BATCH);
    if (claimed.length > 0) {
      this.deps.log.info({ deliveries: claimed.length }, 'took over deliveries whose node stopped');
      await this.resume(claimed, now);
    }
    for (const call of await this.repo.overdueCalls(now - TIMEOUT_GRACE_MS)) {
      await this.deps.calls.apply(call.appKey, call.id, { type: 'timeout' }).catch(() => undefined);
    }
  }

  private async resume(deliveries: Delivery[], now: number): Promise<void> {
    for (const [callId, all] of groupBy(deliveries, (d) => d.callId)) {
      const call = await this.repo.findCallById(callId);
      if (!call) continue;
      // A ring whose callee stopped ringing while its node was dead is not sent any more; cancels always are.
      const owed = all.filter((d) => d.type === 'cancel' || isRinging(call, d.userId));
      for (const d of all) {
        if (owed.includes(d)) continue;
        const patch = d.state === 'pending' ? { state: 'skipped' as const, detail: 'the call stopped ringing' } : {};
        await this.repo.updateDelivery(d.id, { ...patch, lease: 'release' }, now);
      }
      if (owed.length === 0) continue;
      // Background: the pass goes on to the next call while these are sent (each at its stored next attempt).
      // Measured from the call's acceptance: the ring-dispatch histogram shows what the takeover cost.
      this.deps.dispatcher
        .resume(call, owed, call.createdAt)
        .catch((err: unknown) => this.deps.log.error({ err }, 'taken-over deliveries failed'));
    }
  }
}
