import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/infra/store/index.js';
import { PG_URL, postgresAvailable } from '../support/services.js';

// A node starts (and migrates its schema) while other deployments in the same database create and drop
// schemas of their own: a test suite, a preview environment torn down. Kysely's migrator found its tables by
// listing every schema's columns, which failed whenever a schema went away under it, and the node with it.

const OPENS = 8;
const dir = mkdtempSync(path.join(os.tmpdir(), 'callpush-neighbours-'));
const tag = randomBytes(4).toString('hex');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!(await postgresAvailable()))('a node migrating beside schemas being dropped', () => {
  it(`starts every time (${OPENS} starts while neighbours churn)`, async () => {
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    let churning = true;
    // A neighbour with a table whose column has a sequence: what the listing looked up by name.
    const churn = (async () => {
      for (let i = 0; churning && i < 10_000; i++) {
        const neighbour = `nb_${tag}_${i % 4}`;
        await admin.query(
          `create schema if not exists ${neighbour}; create table if not exists ${neighbour}.t (id serial)`,
        );
        await admin.query(`drop schema ${neighbour} cascade`);
      }
    })();
    const failures: string[] = [];
    try {
      for (let i = 0; i < OPENS; i++) {
        const schema = `mig_${tag}_${i}`;
        try {
          const store = await openStore({ databaseUrl: PG_URL, dataDir: dir, pgSchema: schema });
          await store.close();
        } catch (err) {
          failures.push((err as Error).message);
        } finally {
          await admin.query(`drop schema if exists ${schema} cascade`);
        }
      }
    } finally {
      churning = false;
      await churn;
      await admin.end();
    }
    expect(failures).toEqual([]);
  }, 60_000);
});
