import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Warmth } from './contract.js';

/** The warm state of each credential's client, as the client pool reports it. */
export type WarmthReport = () => Promise<Array<{ appKey: string; name: string; type: string; warmth: Warmth }>>;

export interface ProviderMetricsSettings {
  /**
   * Label the per-credential series with the app key and credential name. Off by default: app keys are who
   * the gateway serves, which a scraper need not learn, and one series per credential grows with the apps.
   */
  appLabels: boolean;
}

/** What the provider clients report: answer latency by provider and status, requests in flight. */
export class ProviderMetrics {
  readonly response: Histogram<'provider' | 'status'>;
  private readonly inflight: Gauge<string>;
  private readonly warmups: Counter<'result'>;
  private report: WarmthReport = async () => [];

  constructor(
    registry: Registry,
    private readonly settings: ProviderMetricsSettings,
  ) {
    const registers = [registry];
    this.response = new Histogram({
      name: 'callpush_provider_response_seconds',
      help: 'provider request to response',
      labelNames: ['provider', 'status'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.inflight = new Gauge({
      name: 'callpush_provider_inflight_requests',
      help: settings.appLabels ? 'provider requests in flight per credential' : 'provider requests in flight',
      labelNames: settings.appLabels ? ['app', 'credential'] : [],
      registers,
    });
    this.warmups = new Counter({
      name: 'callpush_provider_warmups_total',
      help: 'credentials warmed ahead of their first ring (token fetched, connection opened), by result',
      labelNames: ['result'],
      registers,
    });
    this.warmthGauges(registers);
  }

  /** Where the warm state is read from at each scrape. */
  observeWarmth(report: WarmthReport): void {
    this.report = report;
  }

  warmed(ok: boolean): void {
    this.warmups.inc({ result: ok ? 'ok' : 'failed' });
  }

  /**
   * Open connections, and the age of the oldest connection and token: by provider type (the oldest across its
   * credentials), or per credential with app labels. A token age near its lifetime, or connections at 0,
   * means the next ring pays for a token request or a handshake.
   */
  private warmthGauges(registers: Registry[]): void {
    const labelNames = this.settings.appLabels ? ['app', 'credential', 'provider'] : ['provider'];
    const report = () => this.report();
    const appLabels = this.settings.appLabels;
    const gauge = (name: string, help: string, value: (w: Warmth, now: number) => number | undefined, sum: boolean) =>
      new Gauge({
        name,
        help,
        labelNames,
        registers,
        async collect() {
          this.reset();
          const now = Date.now();
          const totals = new Map<string, number>();
          for (const { appKey, name: credential, type, warmth } of await report()) {
            const v = value(warmth, now);
            if (v === undefined) continue;
            if (appLabels) this.set({ app: appKey, credential, provider: type }, v);
            else totals.set(type, sum ? (totals.get(type) ?? 0) + v : Math.max(totals.get(type) ?? 0, v));
          }
          for (const [provider, v] of totals) this.set({ provider }, v);
        },
      });
    gauge('callpush_provider_connections', 'open connections to the provider', (w) => w.connections, true);
    gauge(
      'callpush_provider_connection_age_seconds',
      'age of the oldest open connection to the provider',
      (w, now) => (w.connectedSince === undefined ? undefined : (now - w.connectedSince) / 1000),
      false,
    );
    gauge(
      'callpush_provider_token_age_seconds',
      'age of the cached provider access token',
      (w, now) => (w.tokenFetchedAt === undefined ? undefined : (now - w.tokenFetchedAt) / 1000),
      false,
    );
  }

  /** `delta` more (or, negative, fewer) requests in flight on credential `credential` of `app`. */
  inflightChanged(app: string, credential: string, delta: number): void {
    if (this.settings.appLabels) this.inflight.inc({ app, credential }, delta);
    else this.inflight.inc(delta);
  }
}
