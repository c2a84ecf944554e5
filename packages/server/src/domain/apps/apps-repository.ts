import type { Store } from '#infra/store';

export interface App {
  key: string;
  name: string;
  createdAt: number;
}

function toApp(row: { key: string; name: string; created_at: number }): App {
  return { key: row.key, name: row.name, createdAt: Number(row.created_at) };
}

/** The `apps` table: the one place that reads or writes it. Deleting an app cascades to what it owns. */
export class AppsRepository {
  constructor(private readonly store: Store) {}

  async insert(app: App, secretSealed: string): Promise<void> {
    await this.store.db
      .insertInto('apps')
      .values({ key: app.key, name: app.name, secret_enc: secretSealed, created_at: app.createdAt })
      .execute();
  }

  async list(): Promise<App[]> {
    const rows = await this.store.db
      .selectFrom('apps')
      .select(['key', 'name', 'created_at'])
      .orderBy('created_at')
      .execute();
    return rows.map(toApp);
  }

  async find(key: string): Promise<App | undefined> {
    const row = await this.store.db
      .selectFrom('apps')
      .select(['key', 'name', 'created_at'])
      .where('key', '=', key)
      .executeTakeFirst();
    return row && toApp(row);
  }

  async sealedSecret(key: string): Promise<string | undefined> {
    const row = await this.store.db.selectFrom('apps').select('secret_enc').where('key', '=', key).executeTakeFirst();
    return row?.secret_enc;
  }

  async delete(key: string): Promise<boolean> {
    const result = await this.store.db.deleteFrom('apps').where('key', '=', key).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
