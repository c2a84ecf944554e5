import { type Clock, systemClock } from '#kernel';
import type { AppIdentity, EndpointSettings, ProviderClient, Warmth } from './contract.js';
import type { ProviderMetrics } from './metrics.js';
import type { ProvidersService } from './providers-service.js';
import { createProviderClient, type ProviderCredential } from './registry.js';

export interface ClientPoolDeps {
  /** Where credentials come from; a credential replaced or deleted drops the client built on it. */
  providers: Pick<ProvidersService, 'secretCredential' | 'onChange' | 'allKeys'>;
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
  /** CALLPUSH_WARM_PROVIDERS: every credential's client is built, its token fetched and its connection opened ahead of the first ring. */
  warm?: boolean;
}

/** The pool's key of a credential; app keys hold no `/`, so the first one separates the two again. */
const keyOf = (appKey: string, name: string) => `${appKey}/${name}`;
const credentialOf = (key: string) => {
  const slash = key.indexOf('/');
  return { appKey: key.slice(0, slash), name: key.slice(slash + 1) };
};

/** Credentials warmed at once at start: a node serving many apps does not open every connection in one burst. */
const WARM_CONCURRENCY = 8;

/**
 * The provider clients of every credential, built on first use and kept warm (their connections and access
 * tokens are what makes a ring fast), with a cap on the requests in flight per credential.
 */
export class ProviderClientPool {
  private readonly clients = new Map<string, Promise<ProviderClient | undefined>>();
  private readonly credentials = new Map<string, Promise<ProviderCredential | undefined>>();
  private readonly inflight = new Map<string, number>();
  private readonly now: Clock;
  private closed = false;

  constructor(
    private readonly deps: ClientPoolDeps,
    private readonly settings: ClientPoolSettings,
  ) {
    this.now = deps.now ?? systemClock;
    deps.providers.onChange((appKey, name) => {
      this.drop(appKey, name);
      if (this.settings.warm && !this.closed) void this.warm(appKey, name);
    });
    deps.metrics.observeWarmth(() => this.warmth());
  }

  /**
   * Builds every stored credential's client and keeps it warm (token and connection, `keepWarm`), a few at a
   * time; resolves when each has had its first try. What could not be warmed is set up by its first send.
   */
  async warmAll(): Promise<void> {
    if (!this.settings.warm || this.closed) return;
    const keys = await this.deps.providers.allKeys();
    const next = () => keys.shift();
    const worker = async () => {
      for (let key = next(); key; key = next()) await this.warm(key.appKey, key.name);
    };
    await Promise.all(Array.from({ length: WARM_CONCURRENCY }, worker));
  }

  /** Warms one credential's client; failures are reported to the metrics' warm-up counter, never thrown. */
  async warm(appKey: string, name: string): Promise<void> {
    try {
      const client = await this.get(appKey, name);
      if (this.closed) return;
      await client?.keepWarm?.();
      this.deps.metrics.warmed(true);
    } catch {
      this.deps.metrics.warmed(false);
    }
  }

  /**
   * Takes `count` of the credential's in-flight slots and returns their release, or undefined (shed) when that
   * would go over the cap: a burst beyond what a credential can carry waits for a retry, not in a queue.
   */
  admit(appKey: string, name: string, count: number): (() => void) | undefined {
    const key = keyOf(appKey, name);
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
    const key = keyOf(appKey, name);
    let client = this.clients.get(key);
    if (!client && this.closed) return Promise.resolve(undefined);
    if (!client) {
      client = Promise.all([this.credential(appKey, name), this.deps.appOf(appKey)]).then(([credential, app]) =>
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

  /**
   * The credential `name` of `appKey` (undefined when the app has none), loaded once with its client and
   * forgotten with it: placing a call measures its rings as each client would wrap them, without a query.
   */
  credential(appKey: string, name: string): Promise<ProviderCredential | undefined> {
    const key = keyOf(appKey, name);
    let credential = this.credentials.get(key);
    if (!credential) {
      credential = this.deps.providers.secretCredential(appKey, name);
      // A failed lookup is not cached: the next one tries again.
      credential.catch(() => this.credentials.delete(key));
      this.credentials.set(key, credential);
    }
    return credential;
  }

  /** Drops one credential's client (it was replaced or deleted); the next send builds a fresh one. */
  drop(appKey: string, name: string): void {
    const key = keyOf(appKey, name);
    const client = this.clients.get(key);
    this.credentials.delete(key);
    this.clients.delete(key);
    void client?.then((c) => c?.close()).catch(() => undefined);
  }

  /** Drops every client: change events may have been missed (Redis was away), so rebuild from the store. */
  dropAll(): void {
    const clients = [...this.clients.values()];
    this.credentials.clear();
    this.clients.clear();
    for (const client of clients) void client.then((c) => c?.close()).catch(() => undefined);
  }

  /**
   * The warm state (cached token, connections) of one credential's client, without building it: undefined
   * when no send has built it on this node yet, or for a client with nothing to keep warm (Web Push).
   */
  async warmthOf(appKey: string, name: string): Promise<Warmth | undefined> {
    const client = await this.clients.get(keyOf(appKey, name))?.catch(() => undefined);
    return client?.warmth?.();
  }

  /** The warm state of every client built so far, by credential. */
  private async warmth(): Promise<Array<{ appKey: string; name: string; type: string; warmth: Warmth }>> {
    const states = await Promise.all(
      [...this.clients.keys()].map(async (key) => {
        const { appKey, name } = credentialOf(key);
        const [warmth, credential] = await Promise.all([
          this.warmthOf(appKey, name),
          this.credentials.get(key)?.catch(() => undefined),
        ]);
        return warmth && credential ? { appKey, name, type: credential.type, warmth } : undefined;
      }),
    );
    return states.filter((s) => s !== undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    const clients = [...this.clients.values()];
    this.credentials.clear();
    this.clients.clear();
    await Promise.all(clients.map((c) => c.then((x) => x?.close()).catch(() => undefined)));
  }
}
