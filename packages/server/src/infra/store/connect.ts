import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { migrateToLatest } from './migrate.js';
import type { Database } from './schema.js';

export type Engine = 'sqlite' | 'postgres';

export interface Store {
  db: Kysely<Database>;
  engine: Engine;
  /** Cheap round trip for readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** PostgreSQL connection string; without it, SQLite in `dataDir`. */
  databaseUrl?: string;
  dataDir: string;
  /** PostgreSQL schema to use (tests isolate themselves with one each); created if missing. */
  pgSchema?: string;
}

const INT8_OID = 20;

function postgresPool(url: string, schema?: string): pg.Pool {
  return new pg.Pool({
    connectionString: url,
    max: 10,
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
  if (options.databaseUrl) {
    engine = 'postgres';
    if (options.pgSchema) {
      const admin = new pg.Client({ connectionString: options.databaseUrl });
      await admin.connect();
      await admin.query(`CREATE SCHEMA IF NOT EXISTS "${options.pgSchema}"`);
      await admin.end();
    }
    db = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: postgresPool(options.databaseUrl, options.pgSchema) }),
    });
  } else {
    engine = 'sqlite';
    mkdirSync(options.dataDir, { recursive: true });
    const file = new SQLite(path.join(options.dataDir, 'callpush.db'));
    file.pragma('journal_mode = WAL');
    file.pragma('synchronous = NORMAL');
    file.pragma('foreign_keys = ON');
    file.pragma('busy_timeout = 5000');
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cacheStatements(file) }) });
  }
  try {
    await migrateToLatest(db, engine === 'postgres' ? await currentSchema(db) : undefined);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return {
    db,
    engine,
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}

/** The schema new tables go to: the first of the search path (the URL's `options=-c search_path=…` or the default). */
async function currentSchema(db: Kysely<Database>): Promise<string> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  const schema = rows[0]?.schema;
  if (!schema) throw new Error('PostgreSQL has no current schema: the search path names no existing schema');
  return schema;
}
