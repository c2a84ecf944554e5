import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type GatewayProcess, startGatewayProcess } from './gateway.js';

/**
 * The gateways under test: one node on the embedded SQLite database (the default deployment), or `nodes`
 * `callpush serve` processes sharing PostgreSQL (a fresh schema per deployment, dropped afterwards) and Redis,
 * each in its own process, as they run behind a load balancer.
 */

export type Topology = { engine: 'sqlite' } | { engine: 'postgres'; nodes: number };

/** PostgreSQL and Redis the shared deployments use (the test suite's defaults). */
const DATABASE_URL = process.env.CALLPUSH_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.CALLPUSH_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** `sqlite` or a node count on PostgreSQL + Redis, comma-separated: `sqlite,1,2`. */
export function parseTopologies(spec: string): Topology[] {
  return spec.split(',').map((raw) => {
    const token = raw.trim();
    if (token === 'sqlite') return { engine: 'sqlite' };
    const nodes = Number(token);
    if (!Number.isInteger(nodes) || nodes < 1) throw new Error(`--nodes: "${token}" is neither sqlite nor a count`);
    return { engine: 'postgres', nodes };
  });
}

export function topologyLabel(t: Topology): string {
  return t.engine === 'sqlite' ? 'SQLite ×1' : `PostgreSQL + Redis ×${t.nodes}`;
}

/** What the database did for a whole deployment's run, read once its nodes stopped (and flushed their stats). */
export interface DatabaseWork {
  /** Rows inserted, updated and deleted in the ring path's tables (calls, deliveries): set-up writes none. */
  rowsWritten: number;
  /** Transactions committed in the whole database, the bench's and anyone else's. */
  commits: number;
}

export interface Deployment {
  topology: Topology;
  nodes: GatewayProcess[];
  urls: string[];
  adminToken: string;
  /** Stops every node; with PostgreSQL also reads what the run wrote and drops the schema. Idempotent. */
  stop(): Promise<DatabaseWork | undefined>;
}

/** The database's counters, over a connection to the deployment's schema. */
async function databaseCounters(db: pg.Client, schema: string): Promise<DatabaseWork> {
  const rows = await db.query<{ rows: string }>(
    `select coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) as rows from pg_stat_user_tables
     where schemaname = $1 and relname in ('calls', 'deliveries')`,
    [schema],
  );
  const commits = await db.query<{ commits: string }>(
    'select xact_commit as commits from pg_stat_database where datname = current_database()',
  );
  return { rowsWritten: Number(rows.rows[0]?.rows ?? 0), commits: Number(commits.rows[0]?.commits ?? 0) };
}

async function startShared(topology: { nodes: number }, providerCa: string, cpuProfile: boolean): Promise<Deployment> {
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  await admin.query(`create schema "${schema}"`);
  const start = await databaseCounters(admin, schema);
  const url = new URL(DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const env = {
    DATABASE_URL: url.toString(),
    REDIS_URL,
    CALLPUSH_MASTER_KEY: randomBytes(32).toString('base64'),
  };
  const nodes: GatewayProcess[] = [];
  let work: Promise<DatabaseWork> | undefined;
  const stop = () => {
    work ??= (async () => {
      await Promise.all(nodes.map((n) => n.stop()));
      // A backend hands its counters to the statistics when it exits, just after its node hung up.
      await new Promise((r) => setTimeout(r, 1000));
      try {
        const end = await databaseCounters(admin, schema);
        return { rowsWritten: end.rowsWritten - start.rowsWritten, commits: end.commits - start.commits };
      } finally {
        await admin.query(`drop schema "${schema}" cascade`);
        await admin.end();
      }
    })();
    return work;
  };
  try {
    // The first node migrates the empty schema alone; the others then find it up to date.
    nodes.push(await startGatewayProcess({ providerCa, cpuProfile, env }));
    const others = await Promise.allSettled(
      Array.from({ length: topology.nodes - 1 }, () => startGatewayProcess({ providerCa, cpuProfile, env })),
    );
    for (const o of others) if (o.status === 'fulfilled') nodes.push(o.value);
    const failed = others.find((o) => o.status === 'rejected');
    if (failed) throw failed.reason;
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
  return {
    topology: { engine: 'postgres', ...topology },
    nodes,
    urls: nodes.map((n) => n.url),
    adminToken: nodes[0]!.adminToken,
    stop,
  };
}

export async function startDeployment(
  topology: Topology,
  providerCa: string,
  cpuProfile: boolean,
): Promise<Deployment> {
  if (topology.engine === 'postgres') return startShared(topology, providerCa, cpuProfile);
  const gw = await startGatewayProcess({ providerCa, cpuProfile });
  return {
    topology,
    nodes: [gw],
    urls: [gw.url],
    adminToken: gw.adminToken,
    stop: () => gw.stop().then(() => undefined),
  };
}
