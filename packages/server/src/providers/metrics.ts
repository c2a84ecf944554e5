import { Gauge, Histogram, type Registry } from 'prom-client';

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
  }

  /** `delta` more (or, negative, fewer) requests in flight on credential `credential` of `app`. */
  inflightChanged(app: string, credential: string, delta: number): void {
    if (this.settings.appLabels) this.inflight.inc({ app, credential }, delta);
    else this.inflight.inc(delta);
  }
}
