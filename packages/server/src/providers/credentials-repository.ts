import type { ProviderCredentialsTable, Store } from '#infra/store';

const COLUMNS = ['name', 'type', 'public_json', 'created_at', 'updated_at'] as const;

/** A stored credential as the API shows it: its public JSON, never the sealed secrets. */
export type CredentialRow = Pick<ProviderCredentialsTable, (typeof COLUMNS)[number]>;

/** The `provider_credentials` table: the one place that reads or writes it. */
export class CredentialsRepository {
  constructor(private readonly store: Store) {}

  /** Inserts or replaces one credential; true when it was new. */
  async upsert(
    appKey: string,
    name: string,
    values: { type: string; config_enc: string; public_json: string },
    now: number,
  ): Promise<boolean> {
    return this.store.db.transaction().execute(async (tx) => {
      const existing = await tx
        .selectFrom('provider_credentials')
        .select('name')
        .where('app_key', '=', appKey)
        .where('name', '=', name)
        .executeTakeFirst();
      if (existing) {
        await tx
          .updateTable('provider_credentials')
          .set({ ...values, updated_at: now })
          .where('app_key', '=', appKey)
          .where('name', '=', name)
          .execute();
        return false;
      }
      await tx
        .insertInto('provider_credentials')
        .values({ app_key: appKey, name, created_at: now, updated_at: now, ...values })
        .execute();
      return true;
    });
  }

  find(appKey: string, name: string): Promise<CredentialRow | undefined> {
    return this.store.db
      .selectFrom('provider_credentials')
      .select(COLUMNS)
      .where('app_key', '=', appKey)
      .where('name', '=', name)
      .executeTakeFirst();
  }

  list(appKey: string): Promise<CredentialRow[]> {
    return this.store.db
      .selectFrom('provider_credentials')
      .select(COLUMNS)
      .where('app_key', '=', appKey)
      .orderBy('name')
      .execute();
  }

  /** Every credential of every app, by key: what a node warms at start. */
  listKeys(): Promise<Array<{ app_key: string; name: string }>> {
    return this.store.db.selectFrom('provider_credentials').select(['app_key', 'name']).execute();
  }

  /** The sealed credential, secrets included: for the clients, and for checking a push token against it. */
  async sealedConfig(appKey: string, name: string): Promise<string | undefined> {
    const row = await this.store.db
      .selectFrom('provider_credentials')
      .select('config_enc')
      .where('app_key', '=', appKey)
      .where('name', '=', name)
      .executeTakeFirst();
    return row?.config_enc;
  }

  async delete(appKey: string, name: string): Promise<boolean> {
    const result = await this.store.db
      .deleteFrom('provider_credentials')
      .where('app_key', '=', appKey)
      .where('name', '=', name)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
