import type { FastifyBaseLogger } from 'fastify';
import type { Store } from '#infra/store';
import { type Clock, systemClock } from '#kernel';
import { HistoryRepository } from './history-repository.js';

/** One kind of record the sweep forgets; each module deletes its own tables' rows. */
export interface Purge {
  /** What it deletes, as the log names it. */
  what: string;
  /** Deletes at most `limit` records older than `before` (epoch ms); how many it deleted. */
  purge(before: number, limit: number): Promise<number>;
}

/** Calls placed before `before`, with their deliveries. */
export function callsPurge(store: Store): Purge {
  const repo = new HistoryRepository(store);
  return { what: 'calls', purge: (before, limit) => repo.deleteCallsBefore(before, limit) };
}

export interface RetentionDeps {
  purges: Purge[];
  log: FastifyBaseLogger;
  now?: Clock;
  random?: () => number;
}

export interface RetentionSettings {
  /** CALLPUSH_RETENTION_DAYS: records older than this many days are deleted. */
  days: number;
  /** About how often a node sweeps, ms; each wait is jittered between half and one and a half of it. */
  everyMs?: number;
  /** Records one statement deletes: a short transaction, never a long lock. */
  batch?: number;
  /** Statements per purge and sweep: a backlog (a first sweep after an upgrade) is worked off over several. */
  maxBatches?: number;
}

const DAY_MS = 86_400_000;

/**
 * Deletes what is older than the retention period, on every node: a few minutes apart, jittered so the nodes of
 * a cluster do not sweep in step, in bounded batches. Nodes sweeping at once only find less to delete.
 */
export class RetentionSweep {
  private readonly now: Clock;
  private readonly random: () => number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly deps: RetentionDeps,
    private readonly settings: RetentionSettings,
  ) {
    this.now = deps.now ?? systemClock;
    this.random = deps.random ?? Math.random;
  }

  start(): void {
    this.schedule();
  }

  /** No sweep starts after this; one under way ends after its current batch. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One sweep: each purge in batches until it finds less than a batch, or its budget of batches is spent. */
  async sweep(): Promise<Record<string, number>> {
    const { days, batch = 500, maxBatches = 20 } = this.settings;
    const before = this.now() - days * DAY_MS;
    const deleted: Record<string, number> = {};
    for (const { what, purge } of this.deps.purges) {
      deleted[what] = 0;
      for (let i = 0; i < maxBatches && !this.stopped; i++) {
        const n = await purge(before, batch);
        deleted[what] += n;
        if (n < batch) break;
      }
    }
    return deleted;
  }

  private schedule(): void {
    if (this.stopped) return;
    const every = this.settings.everyMs ?? 5 * 60_000;
    this.timer = setTimeout(
      () => {
        this.running = this.run().finally(() => {
          this.running = undefined;
          this.schedule();
        });
      },
      every * (0.5 + this.random()),
    );
    // A pending sweep never holds the process open.
    this.timer.unref();
  }

  private async run(): Promise<void> {
    try {
      const deleted = await this.sweep();
      if (Object.values(deleted).some((n) => n > 0))
        this.deps.log.info({ deleted }, 'retention sweep deleted old records');
    } catch (err) {
      this.deps.log.error({ err }, 'retention sweep failed');
    }
  }
}
