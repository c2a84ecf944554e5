import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { SecretBox } from '#infra/crypto';
import type { Store } from '#infra/store';
import { type Clock, systemClock } from '#kernel';
import { type App, AppsRepository } from './apps-repository.js';

export interface CreatedApp extends App {
  secret: string;
}

/** How long a decrypted secret is kept in memory; bounds how long another node's delete goes unnoticed. */
const SECRET_CACHE_MS = 30_000;

export interface AppsDeps {
  store: Store;
  box: SecretBox;
  now?: Clock;
}

export class AppsService {
  private readonly repo: AppsRepository;
  private readonly box: SecretBox;
  private readonly now: Clock;
  private readonly secrets = new Map<string, { secret: string; until: number }>();
  private readonly deleteListeners: Array<(key: string) => void> = [];

  constructor(deps: AppsDeps) {
    this.repo = new AppsRepository(deps.store);
    this.box = deps.box;
    this.now = deps.now ?? systemClock;
  }

  async create(name: string): Promise<CreatedApp> {
    // 16 random bytes, base64: the same shape as Sinch application secrets, which the hkdfv1 scheme decodes.
    const secret = randomBytes(16).toString('base64');
    const app = { key: randomUUID(), name, createdAt: this.now() };
    await this.repo.insert(app, this.box.seal(secret));
    return { ...app, secret };
  }

  list(): Promise<App[]> {
    return this.repo.list();
  }

  get(key: string): Promise<App | undefined> {
    return this.repo.find(key);
  }

  /** Deletes the app with its providers and devices; false when there was none. */
  async delete(key: string): Promise<boolean> {
    this.secrets.delete(key);
    const deleted = await this.repo.delete(key);
    for (const listener of this.deleteListeners) listener(key);
    return deleted;
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
    if (cached && cached.until > this.now()) return cached.secret;
    const sealed = await this.repo.sealedSecret(key);
    if (sealed === undefined) {
      this.secrets.delete(key);
      return undefined;
    }
    const secret = this.box.open(sealed);
    this.secrets.set(key, { secret, until: this.now() + SECRET_CACHE_MS });
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
