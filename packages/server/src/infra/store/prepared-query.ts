import { type Compilable, CompiledQuery, type Kysely } from 'kysely';
import type { Engine } from './connect.js';
import type { Database } from './schema.js';

/** Stand-ins for a query's parameters while it is compiled, told apart from any real value. */
const SENTINEL = '\u0000callpush-parameter:';

/**
 * A query of the ring path built with Kysely once per engine, then run with new parameters and no query
 * building: Kysely builds and compiles a query tree on every execution, about a tenth of the ring path's CPU.
 * `build` writes the query with the named stand-ins it is given in place of values; compiling it tells where
 * each goes, so parameters are placed by name, never by a hand-kept order. For queries whose shape does not
 * depend on the values (a value that decides the SQL text belongs in the key of another PreparedQuery).
 */
export class PreparedQuery<P extends string, R = unknown> {
  private readonly compiled = new Map<Engine, { sql: string; order: P[] }>();

  constructor(
    private readonly names: readonly P[],
    private readonly build: (db: Kysely<Database>, p: Record<P, string>) => Compilable<R>,
  ) {}

  async rows(db: Kysely<Database>, engine: Engine, params: Record<P, unknown>): Promise<R[]> {
    const result = await db.executeQuery<R>(this.query(db, engine, params));
    return result.rows;
  }

  /** The statement with these parameters, to run later (a batched write). */
  query(db: Kysely<Database>, engine: Engine, params: Record<P, unknown>): CompiledQuery<R> {
    const { sql, order } = this.compiledFor(db, engine);
    return CompiledQuery.raw(
      sql,
      order.map((name) => params[name]),
    ) as CompiledQuery<R>;
  }

  async run(db: Kysely<Database>, engine: Engine, params: Record<P, unknown>): Promise<void> {
    await this.rows(db, engine, params);
  }

  /** The SQL for `engine` and the parameter names in the order it takes them. */
  compiledFor(db: Kysely<Database>, engine: Engine): { sql: string; order: readonly P[] } {
    let compiled = this.compiled.get(engine);
    if (compiled) return compiled;
    const stand = Object.fromEntries(this.names.map((n) => [n, `${SENTINEL}${n}`])) as Record<P, string>;
    const query = this.build(db, stand).compile();
    const order = query.parameters.map((value) => {
      const name = typeof value === 'string' && value.startsWith(SENTINEL) ? value.slice(SENTINEL.length) : undefined;
      if (name === undefined || !this.names.includes(name as P)) {
        throw new Error(`a prepared query has a parameter that is not one of its names: ${String(value)}`);
      }
      return name as P;
    });
    compiled = { sql: query.sql, order };
    this.compiled.set(engine, compiled);
    return compiled;
  }
}

/**
 * An insert of rows into one table, prepared like a PreparedQuery for each number of rows it is used with. Every
 * row of every use names the same columns (a row mapper that writes them all): the first row used names them.
 */
export class PreparedInsert<T extends keyof Database & string> {
  private readonly bySize = new Map<number, PreparedQuery<string>>();
  private readonly slots = new WeakMap<readonly string[], ReadonlyArray<readonly [number, string]>>();
  private columns: readonly string[] = [];

  constructor(private readonly table: T) {}

  /** The insert of these rows (at least one), to run later (a batched write). */
  query(db: Kysely<Database>, engine: Engine, rows: ReadonlyArray<Database[T]>): CompiledQuery {
    if (this.columns.length === 0) this.columns = Object.keys(rows[0]!);
    const { sql, order } = this.ofSize(rows.length).compiledFor(db, engine);
    const values = rows as unknown as ReadonlyArray<Record<string, unknown>>;
    return CompiledQuery.raw(
      sql,
      this.slotsOf(order).map(([i, column]) => values[i]![column]),
    );
  }

  /** Each parameter's row and column, read once from its name (no name is built per row and column). */
  private slotsOf(order: readonly string[]): ReadonlyArray<readonly [number, string]> {
    let slots = this.slots.get(order);
    if (!slots) {
      slots = order.map((name) => {
        const dot = name.indexOf('.');
        return [Number(name.slice(0, dot)), name.slice(dot + 1)] as const;
      });
      this.slots.set(order, slots);
    }
    return slots;
  }

  private ofSize(n: number): PreparedQuery<string> {
    let query = this.bySize.get(n);
    if (!query) {
      const names = Array.from({ length: n }, (_, i) => this.columns.map((c) => `${i}.${c}`)).flat();
      query = new PreparedQuery(names, (db, p) =>
        db
          .insertInto(this.table)
          .values(
            Array.from({ length: n }, (_, i) =>
              Object.fromEntries(this.columns.map((c) => [c, p[`${i}.${c}`]])),
            ) as never,
          ),
      );
      this.bySize.set(n, query);
    }
    return query;
  }
}
