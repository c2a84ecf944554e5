import type { AppsTable, Store } from '#infra/store';

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

  /** The app's settings and notification texts columns; undefined for an unknown app. */
  preferences(key: string): Promise<Pick<AppsTable, 'settings_json' | 'notifications_json'> | undefined> {
    return this.store.db
      .selectFrom('apps')
      .select(['settings_json', 'notifications_json'])
      .where('key', '=', key)
      .executeTakeFirst();
  }

  /**
   * Rewrites the settings column from its current value in one transaction (the row locked on PostgreSQL),
   * so two partial updates at once both land. Undefined for an unknown app.
   */
  async updateSettings(key: string, next: (current: string | null) => string): Promise<string | undefined> {
    return this.store.db.transaction().execute(async (tx) => {
      let current = tx.selectFrom('apps').select('settings_json').where('key', '=', key);
      if (this.store.engine === 'postgres') current = current.forUpdate();
      const row = await current.executeTakeFirst();
      if (!row) return undefined;
      const json = next(row.settings_json);
      await tx.updateTable('apps').set({ settings_json: json }).where('key', '=', key).execute();
      return json;
    });
  }

  /** Replaces the notification texts column; false for an unknown app. */
  async setNotifications(key: string, json: string): Promise<boolean> {
    const result = await this.store.db
      .updateTable('apps')
      .set({ notifications_json: json })
      .where('key', '=', key)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async delete(key: string): Promise<boolean> {
    const result = await this.store.db.deleteFrom('apps').where('key', '=', key).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
