import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { StoreOptions } from '../../src/infra/store/index.js';

export const PG_URL = process.env.CALLPUSH_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.CALLPUSH_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const REQUIRED = process.env.CALLPUSH_REQUIRE_SERVICES === '1';

function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/**
 * Whether the tests of a service run. With CALLPUSH_REQUIRE_SERVICES=1 (CI) an unreachable server fails the run
 * instead of silently skipping its tests.
 */
async function available(name: string, url: string): Promise<boolean> {
  const ok = await reachable(url);
  if (!ok && REQUIRED) throw new Error(`${name} is required (CALLPUSH_REQUIRE_SERVICES=1) but ${url} is unreachable`);
  return ok;
}

export const postgresAvailable = () => available('PostgreSQL', PG_URL);
export const redisAvailable = () => available('Redis', REDIS_URL);

/**
 * The store options of a test file on each engine: SQLite in a fresh folder and, when PostgreSQL runs, a
 * schema of its own. Call `cleanUp` in `afterAll`.
 */
export async function storeTargets(
  prefix: string,
): Promise<{ targets: Array<[string, StoreOptions]>; cleanUp: () => Promise<void> }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `callpush-${prefix}-`));
  const schema = `s_${randomBytes(6).toString('hex')}`;
  const targets: Array<[string, StoreOptions]> = [['sqlite', { dataDir }]];
  if (await postgresAvailable()) targets.push(['postgres', { dataDir, databaseUrl: PG_URL, pgSchema: schema }]);
  const cleanUp = async () => {
    rmSync(dataDir, { recursive: true, force: true });
    if (targets.length < 2) return;
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  };
  return { targets, cleanUp };
}
