/** PostgreSQL's SQLSTATE for a transaction it aborted to break a deadlock. */
const DEADLOCK_DETECTED = '40P01';
const ATTEMPTS = 3;

/**
 * Runs a statement that updates many rows at once (lease renewal, release, expiry) again when PostgreSQL
 * chose it to break a deadlock: grouped outcome writes lock their rows in arrival order, such a statement in
 * scan order, so the two can cross. The aborted side changed nothing and may simply go again; SQLite has one
 * writer and never gets here.
 */
export async function retryingDeadlocks<T>(statement: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await statement();
    } catch (err) {
      if (attempt >= ATTEMPTS || (err as { code?: unknown }).code !== DEADLOCK_DETECTED) throw err;
    }
  }
}
