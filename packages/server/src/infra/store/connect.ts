import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { type CompiledQuery, Kysely, SqliteDialect, sql } from 'kysely';
import type pg from 'pg';
import { migrateToLatest } from './migrate.js';
import { OwnSchemaPostgresDialect } from './postgres-dialect.js';
import type { Database } from './schema.js';
import { type Checkpointer, startCheckpointer } from './sqlite-checkpoints.js';
import { type BatchedWrite, WriteBatcher } from './write-batch.js';

export type Engine = 'sqlite' | 'postgres';

export interface Store {
  db: Kysely<Database>;
  engine: Engine;
  /**
   * Runs a small write in a transaction shared with the other writes of this turn of the event loop (group
   * commit, write-batch.ts); resolves once committed.
   */
  batched(work: BatchedWrite): Promise<void>;
  /**
   * Parses statements before their first use (SQLite keeps them prepared, keyed by their text), so the first
   * call does not pay for it; nothing to do on PostgreSQL, which is sent the text each time.
   */
  prepare(queries: readonly CompiledQuery[]): void;
  /** Statements sent to the database since it opened, BEGIN and COMMIT included: its round trips. */
  readonly statements: number;
  /** Cheap round trip for readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** PostgreSQL connection string; without it, SQLite in `dataDir`. */
  databaseUrl?: string;
  /** PostgreSQL connections (CALLPUSH_DATABASE_POOL). */
  databasePool?: number;
  dataDir: string;
  /** PostgreSQL schema to use (tests isolate themselves with one each); created if missing. */
  pgSchema?: string;
}

const INT8_OID = 20;

/**
 * How writes share commits (write-batch.ts). SQLite has one connection, so its writes run in a row anyway
 * and a commit is what costs: one transaction per batch. On PostgreSQL the ring path's writes merge into one
 * statement per batch (one round trip); a write that must read inside its transaction (one that also records
 * events) shares a transaction with a few others only, since its statements are round trips in a row.
 */
const SQLITE_BATCHING = { maxWrites: 128, mergeStatements: false, maxTransactionWrites: 128 };
const POSTGRES_BATCHING = { maxWrites: 64, mergeStatements: true, maxTransactionWrites: 8 };
/** PostgreSQL connections when the caller does not say: enough for a node's commits in flight at 500 calls/s. */
const DEFAULT_POOL = 30;

/** `pg` is loaded only when PostgreSQL is used: the embedded default starts faster and smaller without it. */
async function postgresPool(url: string, size: number, schema?: string): Promise<pg.Pool> {
  const { default: pg } = await import('pg');
  return new pg.Pool({
    connectionString: url,
    max: size,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
    // Epoch-millisecond columns are bigint; they fit a JS number, so parse them as one.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID
          ? (v: string) => Number(v)
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
}

/** Statements cached per connection; queries with other SQL (e.g. `in (...)` lists of new lengths) still work uncached. */
const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely's SQLite driver prepares every statement on every query, about a tenth of the ring path's CPU.
 * better-sqlite3 statements are reusable (Kysely runs them to completion, never streaming), so memoise them.
 */
function cacheStatements(db: SQLite.Database): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>();
  const prepare = db.prepare.bind(db);
  db.prepare = ((source: string) => {
    let statement = cache.get(source);
    if (!statement) {
      statement = prepare(source);
      if (cache.size < STATEMENT_CACHE_SIZE) cache.set(source, statement);
    }
    return statement;
  }) as typeof db.prepare;
  return db;
}

/** Opens the database (PostgreSQL when a URL is given, else SQLite with WAL) and runs the migrations. */
export async function openStore(options: StoreOptions): Promise<Store> {
  let db: Kysely<Database>;
  let engine: Engine;
  let checkpointer: Checkpointer | undefined;
  /** SQLite's connection, whose `prepare` keeps what it parsed (cacheStatements); none on PostgreSQL. */
  let sqlite: SQLite.Database | undefined;
  let statements = 0;
  const log = () => {
    statements++;
  };
  if (options.databaseUrl) {
    engine = 'postgres';
    const pool = await postgresPool(options.databaseUrl, options.databasePool ?? DEFAULT_POOL, options.pgSchema);
    if (options.pgSchema) await pool.query(`CREATE SCHEMA IF NOT EXISTS "${options.pgSchema}"`);
    db = new Kysely<Database>({ dialect: new OwnSchemaPostgresDialect({ pool }), log });
  } else {
    engine = 'sqlite';
    mkdirSync(options.dataDir, { recursive: true });
    const name = path.join(options.dataDir, 'callpush.db');
    const file = new SQLite(name);
    file.pragma('journal_mode = WAL');
    file.pragma('synchronous = NORMAL');
    file.pragma('foreign_keys = ON');
    file.pragma('busy_timeout = 5000');
    // Checkpoints (and their fsync) run in a worker thread; back to SQLite's own if the worker is lost.
    file.pragma('wal_autocheckpoint = 0');
    checkpointer = startCheckpointer(name, () => {
      if (file.open) file.pragma('wal_autocheckpoint = 1000');
    });
    sqlite = cacheStatements(file);
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }), log });
  }
  try {
    await migrateToLatest(db, engine === 'postgres' ? await currentSchema(db) : undefined);
  } catch (err) {
    await checkpointer?.stop();
    await db.destroy();
    throw err;
  }
  const batcher = new WriteBatcher(db, engine === 'sqlite' ? SQLITE_BATCHING : POSTGRES_BATCHING);
  return {
    db,
    engine,
    batched: (work) => batcher.run(work),
    prepare: (queries) => {
      for (const query of queries) sqlite?.prepare(query.sql);
    },
    get statements() {
      return statements;
    },
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: async () => {
      await batcher.drain();
      await db.destroy();
      await checkpointer?.stop();
    },
  };
}

/** The schema new tables go to: the first of the search path (the URL's `options=-c search_path=…` or the default). */
async function currentSchema(db: Kysely<Database>): Promise<string> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  const schema = rows[0]?.schema;
  if (!schema) throw new Error('PostgreSQL has no current schema: the search path names no existing schema');
  return schema;
}
