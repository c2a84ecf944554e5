import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { SecretBox } from '../crypto/index.js';
import type { Store } from '../store/index.js';

export interface App {
  key: string;
  name: string;
  createdAt: number;
}

export interface CreatedApp extends App {
  secret: string;
}

/** How long a decrypted secret is kept in memory; bounds how long another node's delete goes unnoticed. */
const SECRET_CACHE_MS = 30_000;

function toApp(row: { key: string; name: string; created_at: number }): App {
  return { key: row.key, name: row.name, createdAt: Number(row.created_at) };
}

export class AppsService {
  private readonly secrets = new Map<string, { secret: string; until: number }>();
  private readonly deleteListeners: Array<(key: string) => void> = [];

  constructor(
    private readonly store: Store,
    private readonly box: SecretBox,
  ) {}

  async create(name: string): Promise<CreatedApp> {
    // 16 random bytes, base64: the same shape as Sinch application secrets, which the hkdfv1 scheme decodes.
    const secret = randomBytes(16).toString('base64');
    const app = { key: randomUUID(), name, createdAt: Date.now() };
    await this.store.db
      .insertInto('apps')
      .values({ key: app.key, name, secret_enc: this.box.seal(secret), created_at: app.createdAt })
      .execute();
    return { ...app, secret };
  }

  async list(): Promise<App[]> {
    const rows = await this.store.db
      .selectFrom('apps')
      .select(['key', 'name', 'created_at'])
      .orderBy('created_at')
      .execute();
    return rows.map(toApp);
  }

  async get(key: string): Promise<App | undefined> {
    const row = await this.store.db
      .selectFrom('apps')
      .select(['key', 'name', 'created_at'])
      .where('key', '=', key)
      .executeTakeFirst();
    return row && toApp(row);
  }

  /** Deletes the app with its providers and devices; false when there was none. */
  async delete(key: string): Promise<boolean> {
    this.secrets.delete(key);
    const result = await this.store.db.deleteFrom('apps').where('key', '=', key).executeTakeFirst();
    for (const listener of this.deleteListeners) listener(key);
    return Number(result.numDeletedRows) > 0;
  }

  /** Calls `listener` after an app is deleted here (other nodes forget its cached secret). */
  onDelete(listener: (key: string) => void): void {
    this.deleteListeners.push(listener);
  }

  /** Drops a cached secret (the app was deleted on another node), or all of them. */
  forget(key?: string): void {
    if (key === undefined) this.secrets.clear();
    else this.secrets.delete(key);
  }

  /** The app's secret (decrypted), or undefined for an unknown app. */
  async secretOf(key: string): Promise<string | undefined> {
    const cached = this.secrets.get(key);
    if (cached && cached.until > Date.now()) return cached.secret;
    const row = await this.store.db.selectFrom('apps').select('secret_enc').where('key', '=', key).executeTakeFirst();
    if (!row) {
      this.secrets.delete(key);
      return undefined;
    }
    const secret = this.box.open(row.secret_enc);
    this.secrets.set(key, { secret, until: Date.now() + SECRET_CACHE_MS });
    return secret;
  }

  /** Checks an app key and secret pair in constant time for the secret comparison. */
  async authenticate(key: string, secret: string): Promise<boolean> {
    const expected = await this.secretOf(key);
    if (expected === undefined) return false;
    const a = Buffer.from(expected);
    const b = Buffer.from(secret);
    return a.length === b.length && timingSafeEqual(a, b);
  }
}
