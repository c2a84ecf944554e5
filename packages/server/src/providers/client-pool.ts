import { type Clock, systemClock } from '#kernel';
import type { AppIdentity, EndpointSettings, ProviderClient } from './contract.js';
import type { ProviderMetrics } from './metrics.js';
import type { ProvidersService } from './providers-service.js';
import { createProviderClient } from './registry.js';

export interface ClientPoolDeps {
  /** Where credentials come from; a credential replaced or deleted drops the client built on it. */
  providers: Pick<ProvidersService, 'secretCredential' | 'onChange'>;
  /** The app a credential belongs to, for clients that sign with its secret (HMS flow B). */
  appOf(appKey: string): Promise<AppIdentity | undefined>;
  metrics: ProviderMetrics;
  now?: Clock;
}

export interface ClientPoolSettings extends EndpointSettings {
  /** Extra CA (PEM) the provider clients trust: the emulators' in the sandbox and tests. */
  providerCa?: string;
  /** Provider requests in flight per credential before new ones are shed (retried later if the deadline allows). */
  maxInflightPerCredential: number;
}

/**
 * The provider clients of every credential, built on first use and kept warm (their connections and access
 * tokens are what makes a ring fast), with a cap on the requests in flight per credential.
 */
export class ProviderClientPool {
  private readonly clients = new Map<string, Promise<ProviderClient | undefined>>();
  private readonly inflight = new Map<string, number>();
  private readonly now: Clock;

  constructor(
    private readonly deps: ClientPoolDeps,
    private readonly settings: ClientPoolSettings,
  ) {
    this.now = deps.now ?? systemClock;
    deps.providers.onChange((appKey, name) => this.drop(appKey, name));
  }

  /**
   * Takes `count` of the credential's in-flight slots and returns their release, or undefined (shed) when that
   * would go over the cap: a burst beyond what a credential can carry waits for a retry, not in a queue.
   */
  admit(appKey: string, name: string, count: number): (() => void) | undefined {
    const key = `${appKey}/${name}`;
    const busy = this.inflight.get(key) ?? 0;
    if (busy + count > this.settings.maxInflightPerCredential) return undefined;
    this.inflight.set(key, busy + count);
    this.deps.metrics.inflightChanged(appKey, name, count);
    return () => {
      this.inflight.set(key, (this.inflight.get(key) ?? count) - count);
      this.deps.metrics.inflightChanged(appKey, name, -count);
    };
  }

  /** The client of credential `name` of `appKey`, or undefined when the app has no such credential. */
  get(appKey: string, name: string): Promise<ProviderClient | undefined> {
    const key = `${appKey}/${name}`;
    let client = this.clients.get(key);
    if (!client) {
      client = Promise.all([this.deps.providers.secretCredential(appKey, name), this.deps.appOf(appKey)]).then(
        ([credential, app]) =>
          credential
            ? createProviderClient(credential, {
                ...(this.settings.providerCa ? { ca: this.settings.providerCa } : {}),
                ...(app ? { app } : {}),
                allowPrivateEndpoints: this.settings.allowPrivateEndpoints,
                webPushHosts: this.settings.webPushHosts,
                now: this.now,
                onResponse: (seconds, status) =>
                  this.deps.metrics.response.observe({ provider: credential.type, status: String(status) }, seconds),
              })
            : undefined,
      );
      // A failed lookup is not cached: the next delivery tries again.
      client.catch(() => this.clients.delete(key));
      this.clients.set(key, client);
    }
    return client;
  }

  /** Drops one credential's client (it was replaced or deleted); the next send builds a fresh one. */
  drop(appKey: string, name: string): void {
    const key = `${appKey}/${name}`;
    const client = this.clients.get(key);
    this.clients.delete(key);
    void client?.then((c) => c?.close()).catch(() => undefined);
  }

  /** Drops every client: change events may have been missed (Redis was away), so rebuild from the store. */
  dropAll(): void {
    const clients = [...this.clients.values()];
    this.clients.clear();
    for (const client of clients) void client.then((c) => c?.close()).catch(() => undefined);
  }

  async close(): Promise<void> {
    const clients = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(clients.map((c) => c.then((x) => x?.close()).catch(() => undefined)));
  }
}
