import { sql } from 'kysely';
import type { Store } from '#infra/store';

/**
 * The app's users, as far as callpush knows them: those with a registered device. Found by id prefix, in id
 * order, a page at a time after the last id shown (keyset, on the `(app_key, user_id, …)` index).
 */
export class UserDirectory {
  constructor(private readonly store: Store) {}

  async search(appKey: string, prefix: string, after: string | undefined, limit: number): Promise<string[]> {
    let q = this.store.db.selectFrom('device_registrations').select('user_id').distinct().where('app_key', '=', appKey);
    // An exact prefix match: LIKE would read `_` as a wildcard, and SQLite's LIKE ignores case.
    if (prefix) {
      q = q.where('user_id', '>=', prefix).where(sql<string>`substr(user_id, 1, ${prefix.length})`, '=', prefix);
    }
    if (after !== undefined) q = q.where('user_id', '>', after);
    const rows = await q.orderBy('user_id').limit(limit).execute();
    return rows.map((r) => r.user_id);
  }
}
