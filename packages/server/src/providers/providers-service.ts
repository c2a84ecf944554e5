import type { SecretBox } from '../crypto/index.js';
import type { Store } from '../store/index.js';
import { checkCredential, type ProviderCredential, type ProviderType } from './registry.js';

export interface ProviderView {
  name: string;
  type: ProviderType;
  /** Public fields and fingerprints of the secret ones; the secrets themselves are never returned. */
  config: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
}

interface Row {
  name: string;
  type: string;
  public_json: string;
  created_at: number;
  updated_at: number;
}

function toView(row: Row): ProviderView {
  return {
    name: row.name,
    type: row.type as ProviderType,
    config: JSON.parse(row.public_json) as Record<string, unknown>,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

const COLUMNS = ['name', 'type', 'public_json', 'created_at', 'updated_at'] as const;

/** Named provider credentials of an app, stored encrypted. */
export class ProvidersService {
  private readonly changeListeners = new Set<(appKey: string, name: string, local: boolean) => void>();

  constructor(
    private readonly store: Store,
    private readonly box: SecretBox,
  ) {}

  /** Creates or replaces a credential; `created` tells which. */
  async put(
    appKey: string,
    name: string,
    credential: ProviderCredential,
  ): Promise<{ view: ProviderView; created: boolean }> {
    const publicView = checkCredential(credential);
    const now = Date.now();
    const values = {
      type: credential.type,
      config_enc: this.box.seal(JSON.stringify(credential)),
      public_json: JSON.stringify(publicView),
      updated_at: now,
    };
    const created = await this.store.db.transaction().execute(async (tx) => {
      const existing = await tx
        .selectFrom('provider_credentials')
        .select('name')
        .where('app_key', '=', appKey)
        .where('name', '=', name)
        .executeTakeFirst();
      if (existing) {
        await tx
          .updateTable('provider_credentials')
          .set(values)
          .where('app_key', '=', appKey)
          .where('name', '=', name)
          .execute();
        return false;
      }
      await tx
        .insertInto('provider_credentials')
        .values({ app_key: appKey, name, created_at: now, ...values })
        .execute();
      return true;
    });
    this.changed(appKey, name);
    const view = await this.get(appKey, name);
    return { view: view!, created };
  }

  async get(appKey: string, name: string): Promise<ProviderView | undefined> {
    const row = await this.store.db
      .selectFrom('provider_credentials')
      .select(COLUMNS)
      .where('app_key', '=', appKey)
      .where('name', '=', name)
      .executeTakeFirst();
    return row && toView(row);
  }

  async list(appKey: string): Promise<ProviderView[]> {
    const rows = await this.store.db
      .selectFrom('provider_credentials')
      .select(COLUMNS)
      .where('app_key', '=', appKey)
      .orderBy('name')
      .execute();
    return rows.map(toView);
  }

  async delete(appKey: string, name: string): Promise<boolean> {
    const result = await this.store.db
      .deleteFrom('provider_credentials')
      .where('app_key', '=', appKey)
      .where('name', '=', name)
      .executeTakeFirst();
    this.changed(appKey, name);
    return Number(result.numDeletedRows) > 0;
  }

  /** The full credential with its secrets, for the provider clients only. */
  async secretCredential(appKey: string, name: string): Promise<ProviderCredential | undefined> {
    const row = await this.store.db
      .selectFrom('provider_credentials')
      .select('config_enc')
      .where('app_key', '=', appKey)
      .where('name', '=', name)
      .executeTakeFirst();
    return row && (JSON.parse(this.box.open(row.config_enc)) as ProviderCredential);
  }

  /**
   * Calls `listener` whenever a credential is replaced or deleted (provider clients built on it are stale):
   * here (`local`), or on another node (`changedElsewhere`).
   */
  onChange(listener: (appKey: string, name: string, local: boolean) => void): void {
    this.changeListeners.add(listener);
  }

  /** Another node replaced or deleted a credential. */
  changedElsewhere(appKey: string, name: string): void {
    for (const listener of this.changeListeners) listener(appKey, name, false);
  }

  private changed(appKey: string, name: string): void {
    for (const listener of this.changeListeners) listener(appKey, name, true);
  }
}
