import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** One write of a batch: statements run inside the batch's transaction. */
export type BatchedWrite = (tx: Kysely<Database>) => Promise<void>;

interface Queued {
  work: BatchedWrite;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** A write asked for once the store began closing: it cannot be made (another node's lease takeover will). */
export class StoreClosed extends Error {
  constructor() {
    super('the store is closed: the node is stopping');
  }
}

/**
 * Group commit: the small writes issued during one turn of the event loop (the outcomes of a burst of
 * provider answers) run in one transaction, so they cost one commit — one WAL append on SQLite, one WAL
 * flush on PostgreSQL — instead of one each. A write's promise resolves only once its transaction has
 * committed, so it is as durable as when it ran alone; it waits at most until the loop's next turn.
 */
export class WriteBatcher {
  private queue: Queued[] = [];
  private scheduled = false;
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;

  /** `maxWrites`: at most this many writes share a transaction; more start the next one at once. */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly maxWrites: number,
  ) {}

  run(work: BatchedWrite): Promise<void> {
    if (this.closed) return Promise.reject(new StoreClosed());
    return new Promise((resolve, reject) => {
      this.queue.push({ work, resolve, reject });
      if (this.queue.length >= this.maxWrites) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits what is queued, refuses what comes later, and waits for every batch still committing. */
  async drain(): Promise<void> {
    this.closed = true;
    this.flush();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    const done = this.commit(batch).finally(() => this.inFlight.delete(done));
    this.inFlight.add(done);
  }

  private async commit(batch: Queued[]): Promise<void> {
    if (batch.length > 1) {
      try {
        await this.db.transaction().execute(async (tx) => {
          for (const item of batch) await item.work(tx);
        });
        for (const item of batch) item.resolve();
        return;
      } catch {
        // One failing write (or a deadlock between nodes) must not fail the others: each again, alone.
      }
    }
    await Promise.all(
      batch.map((item) =>
        this.db
          .transaction()
          .execute((tx) => item.work(tx))
          .then(item.resolve, item.reject),
      ),
    );
  }
}
