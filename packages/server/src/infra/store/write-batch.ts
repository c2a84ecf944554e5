import { CompiledQuery, type Kysely } from 'kysely';
import type { Database } from './schema.js';

/** A write that reads or decides inside its transaction: its statements run one after another. */
export type TransactionWrite = (tx: Kysely<Database>) => Promise<void>;

/**
 * A write known in full before it runs: statements that read nothing back. On PostgreSQL the statement writes
 * of one batch become one statement (below); `rows` names every row the write inserts or changes
 * (`table:id`), because PostgreSQL applies only one of two changes of a row made by one statement, and a
 * change cannot see a row inserted by the same statement.
 */
export interface StatementWrite {
  statements: CompiledQuery[];
  rows: string[];
}

/** One write of a batch. */
export type BatchedWrite = TransactionWrite | StatementWrite;

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

export interface WriteBatcherOptions {
  /** At most this many writes share a commit; more start the next batch at once. */
  maxWrites: number;
  /**
   * Merge consecutive statement writes into one statement (PostgreSQL: data-modifying `WITH` parts, one round
   * trip, atomic without BEGIN/COMMIT). Otherwise a batch is one transaction (SQLite, one connection, where
   * the commit is what costs).
   */
  mergeStatements: boolean;
  /** Transaction writes that share one transaction when statements are merged (each is a round trip). */
  maxTransactionWrites: number;
}

/** PostgreSQL's bound on one statement's parameters is 65,535; a merged statement stays well under it. */
const MAX_MERGED_PARAMETERS = 30_000;

/**
 * Group commit: the small writes issued during one turn of the event loop (the outcomes of a burst of
 * provider answers) share their commit — one WAL append on SQLite, one WAL flush on PostgreSQL — instead of
 * one each. A write's promise resolves only once its commit is done, so it is as durable as when it ran
 * alone; it waits at most until the loop's next turn. Writes of one batch commit in the order they came.
 */
export class WriteBatcher {
  private queue: Queued[] = [];
  private scheduled = false;
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly options: WriteBatcherOptions,
  ) {}

  run(work: BatchedWrite): Promise<void> {
    if (this.closed) return Promise.reject(new StoreClosed());
    return new Promise((resolve, reject) => {
      this.queue.push({ work, resolve, reject });
      if (this.queue.length >= this.options.maxWrites) this.flush();
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
    if (!this.options.mergeStatements) return this.together(batch);
    for (const part of partsOf(batch, this.options.maxTransactionWrites)) {
      await (part.merged ? this.merged(part.items) : this.together(part.items));
    }
  }

  /** One transaction for the lot. */
  private async together(batch: Queued[]): Promise<void> {
    if (batch.length > 1) {
      try {
        await this.db.transaction().execute(async (tx) => {
          for (const item of batch) await runIn(tx, item.work);
        });
        for (const item of batch) item.resolve();
        return;
      } catch {
        // One failing write (or a deadlock between nodes) must not fail the others: each again, alone.
      }
    }
    await Promise.all(batch.map((item) => this.alone(item)));
  }

  /** One statement for the lot (statement writes of distinct rows). */
  private async merged(batch: Queued[]): Promise<void> {
    if (batch.length > 1) {
      try {
        await this.db.executeQuery(mergeStatements(batch.flatMap((item) => (item.work as StatementWrite).statements)));
        for (const item of batch) item.resolve();
        return;
      } catch {
        // As above: each again, alone.
      }
    }
    await Promise.all(batch.map((item) => this.alone(item)));
  }

  private alone(item: Queued): Promise<void> {
    const { work } = item;
    const done =
      typeof work === 'function' || !this.options.mergeStatements
        ? this.db.transaction().execute((tx) => runIn(tx, work))
        : this.db.executeQuery(mergeStatements(work.statements));
    return done.then(() => item.resolve(), item.reject);
  }
}

async function runIn(tx: Kysely<Database>, work: BatchedWrite): Promise<void> {
  if (typeof work === 'function') return work(tx);
  for (const statement of work.statements) await tx.executeQuery(statement);
}

/**
 * A batch cut, in order, into runs of statement writes that can share one statement (no row written twice,
 * a bounded number of parameters) and runs of transaction writes that share one transaction.
 */
function partsOf(batch: Queued[], maxTransactionWrites: number): { merged: boolean; items: Queued[] }[] {
  const parts: { merged: boolean; items: Queued[] }[] = [];
  let rows = new Set<string>();
  let parameters = 0;
  for (const item of batch) {
    const { work } = item;
    const last = parts.at(-1);
    if (typeof work === 'function') {
      if (last && !last.merged && last.items.length < maxTransactionWrites) last.items.push(item);
      else parts.push({ merged: false, items: [item] });
      continue;
    }
    const count = work.statements.reduce((n, s) => n + s.parameters.length, 0);
    const fits =
      last?.merged && parameters + count <= MAX_MERGED_PARAMETERS && work.rows.every((row) => !rows.has(row));
    if (!fits) {
      parts.push({ merged: true, items: [] });
      rows = new Set();
      parameters = 0;
    }
    parts.at(-1)!.items.push(item);
    for (const row of work.rows) rows.add(row);
    parameters += count;
  }
  return parts;
}

/**
 * PostgreSQL statements as one: each a data-modifying `WITH` part, its `$n` placeholders renumbered after
 * the parts before it. One statement is atomic on its own, so no BEGIN/COMMIT round trips. The statements
 * are Kysely's, with every value a parameter, so a `$` followed by digits in their text is a placeholder.
 */
export function mergeStatements(statements: CompiledQuery[]): CompiledQuery {
  if (statements.length === 1) return statements[0]!;
  const parameters: unknown[] = [];
  const parts = statements.map((statement, i) => {
    const offset = parameters.length;
    parameters.push(...statement.parameters);
    return `w${i} as (${statement.sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`)})`;
  });
  return CompiledQuery.raw(`with ${parts.join(', ')} select 1`, parameters);
}
