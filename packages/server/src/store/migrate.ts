import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';
import * as m0001 from './migrations/0001_initial.js';
import * as m0002 from './migrations/0002_calls.js';
import * as m0003 from './migrations/0003_kaleyra.js';
import * as m0004 from './migrations/0004_delivery_transport.js';
import * as m0005 from './migrations/0005_delivery_leases.js';
import type { Database } from './schema.js';

/** Migrations are imported statically so the built package needs no file-system scan. */
const MIGRATIONS: Record<string, Migration> = {
  '0001_initial': m0001,
  '0002_calls': m0002,
  '0003_kaleyra': m0003,
  '0004_delivery_transport': m0004,
  '0005_delivery_leases': m0005,
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

/**
 * `schema`: where the migration bookkeeping lives on PostgreSQL. Without it Kysely looks for its tables in every
 * schema of the database, so another deployment (or test) in a neighbouring schema makes it skip creating them.
 */
export async function migrateToLatest(db: Kysely<Database>, schema?: string): Promise<void> {
  const { error, results } = await new Migrator({
    db,
    provider,
    ...(schema ? { migrationTableSchema: schema } : {}),
  }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`database migration ${failed ?? ''} failed: ${(error as Error).message ?? error}`);
  }
}
