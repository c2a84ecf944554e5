import type { SecretBox } from '#infra/crypto';
import type { Store } from '#infra/store';
import { type Clock, systemClock } from '#kernel';
import type { EndpointSettings, RegistrationChoices } from './contract.js';
import { type CredentialRow, CredentialsRepository } from './credentials-repository.js';
import {
  checkCredential,
  checkPushToken,
  type ProviderCredential,
  type ProviderType,
  providerModule,
} from './registry.js';

export interface ProviderView {
  name: string;
  type: ProviderType;
  /** Public fields and fingerprints of the secret ones; the secrets themselves are never returned. */
  config: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
}

function toView(row: CredentialRow): ProviderView {
  return {
    name: row.name,
    type: row.type as ProviderType,
    config: JSON.parse(row.public_json) as Record<string, unknown>,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

export interface ProvidersDeps {
  store: Store;
  box: SecretBox;
  now?: Clock;
}

type ChangeListener = (appKey: string, name: string, local: boolean) => void;

/** Named provider credentials of an app, stored encrypted. */
export class ProvidersService {
  private readonly repo: CredentialsRepository;
  private readonly box: SecretBox;
  private readonly now: Clock;
  private readonly changeListeners = new Set<ChangeListener>();

  /** `settings`: the operator's part of the endpoint policy, applied to credential URLs and Web Push endpoints. */
  constructor(
    deps: ProvidersDeps,
    private readonly settings: EndpointSettings,
  ) {
    this.repo = new CredentialsRepository(deps.store);
    this.box = deps.box;
    this.now = deps.now ?? systemClock;
  }

  /** Creates or replaces a credential; `created` tells which. */
  async put(
    appKey: string,
    name: string,
    credential: ProviderCredential,
  ): Promise<{ view: ProviderView; created: boolean }> {
    const publicView = await checkCredential(credential, this.settings);
    const values = {
      type: credential.type,
      config_enc: this.box.seal(JSON.stringify(credential)),
      public_json: JSON.stringify(publicView),
    };
    const created = await this.repo.upsert(appKey, name, values, this.now());
    this.changed(appKey, name);
    const view = await this.get(appKey, name);
    return { view: view!, created };
  }

  async get(appKey: string, name: string): Promise<ProviderView | undefined> {
    const row = await this.repo.find(appKey, name);
    return row && toView(row);
  }

  async list(appKey: string): Promise<ProviderView[]> {
    return (await this.repo.list(appKey)).map(toView);
  }

  async delete(appKey: string, name: string): Promise<boolean> {
    const deleted = await this.repo.delete(appKey, name);
    this.changed(appKey, name);
    return deleted;
  }

  /**
   * Checks a push token to register on credential `name` and returns the credential's type, or undefined when
   * the app has no credential by that name (or of a type unknown here). Rejects with InvalidInput naming the
   * field when the token cannot be right for it (a Web Push endpoint is checked against the credential's own
   * allowed origins), or when the credential cannot serve what the registration chose (a declarative format
   * without a page to open).
   */
  async checkPushToken(
    appKey: string,
    name: string,
    token: string,
    choices: RegistrationChoices = {},
  ): Promise<ProviderType | undefined> {
    const credential = await this.secretCredential(appKey, name);
    if (!credential || !providerModule(credential.type)) return undefined;
    await checkPushToken(credential, token, this.settings, choices);
    return credential.type;
  }

  /** Every stored credential's app and name. */
  async allKeys(): Promise<Array<{ appKey: string; name: string }>> {
    return (await this.repo.listKeys()).map((r) => ({ appKey: r.app_key, name: r.name }));
  }

  /** The full credential with its secrets, for the provider clients only. */
  async secretCredential(appKey: string, name: string): Promise<ProviderCredential | undefined> {
    const sealed = await this.repo.sealedConfig(appKey, name);
    return sealed === undefined ? undefined : (JSON.parse(this.box.open(sealed)) as ProviderCredential);
  }

  /**
   * Calls `listener` whenever a credential is replaced or deleted (provider clients built on it are stale):
   * here (`local`), or on another node (`changedElsewhere`).
   */
  onChange(listener: ChangeListener): void {
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
