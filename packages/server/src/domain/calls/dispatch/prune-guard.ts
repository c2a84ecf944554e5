import type { FastifyBaseLogger } from 'fastify';
import type { DevicesService } from '#domain/devices';
import type { Clock } from '#kernel';
import type { PushOutcome } from '#providers';
import type { RingMetrics } from '../metrics.js';
import type { Delivery } from '../model.js';

export interface PruneGuardSettings {
  /** How long a delivery by a credential proves it is set up right (environment, topic, project, app id). */
  recentDeliveryMs: number;
  /** The circuit breaker's window: prunes are counted per credential over this long. */
  breakerWindowMs: number;
  /** Share of a credential's devices that may be pruned per window... */
  breakerShare: number;
  /** ...but never fewer than this many, so a small app still loses its dead tokens. */
  breakerFloor: number;
}

/** Constants, documented in docs/security.md ("The ring path") and docs/providers.md#token-gone. */
export const PRUNE_GUARD_SETTINGS: PruneGuardSettings = {
  recentDeliveryMs: 10 * 60_000,
  breakerWindowMs: 10 * 60_000,
  breakerShare: 0.1,
  breakerFloor: 10,
};

export interface PruneGuardDeps {
  devices: Pick<DevicesService, 'countForCredential'>;
  metrics: Pick<RingMetrics, 'misconfigured'>;
  log: FastifyBaseLogger;
  now: Clock;
}

type Cause = 'not_delivering' | 'prune_breaker';
type TokenGone = Extract<PushOutcome, { kind: 'token_gone' }>;
/** What the guard's proof is kept for: one credential, one APNs environment of it. */
type Scope = Pick<Delivery, 'appKey' | 'provider' | 'environment'>;

interface Credential {
  lastDeliveredAt: number;
  /** The breaker's current window: when it began, the devices the credential had then, the prunes since. */
  window?: { start: number; devices: Promise<number>; pruned: number };
  /** Causes already logged: one loud line per credential and cause until it recovers. */
  logged: Set<Cause>;
}

/**
 * The one guard between a provider's "this token is dead" and deleting the device, for every provider. The
 * same answers come from a credential with the wrong environment, bundle id, project or app id
 * (docs/providers.md#token-gone), and then every device would go on the first call. So a dead-token answer
 * prunes only while the same credential has delivered recently; otherwise it becomes a `config_error` that
 * keeps the device. And however healthy the credential looks, a burst of dead tokens beyond a share of its
 * devices stops pruning until the window ends. State is per node and in memory: a restart or a replaced
 * credential starts without proof, which only delays pruning.
 *
 * The proof is kept per APNs environment of a credential, since one credential sends to two gateways: a
 * sandbox gateway answering BadDeviceToken for every token says nothing of the production one, and the
 * production one delivering proves nothing of the sandbox's answers. A registration without an environment
 * counts apart from one naming the credential's own, which at worst delays pruning.
 */
export class PruneGuard {
  /** Per credential, then per environment (`''`: the credential's own). */
  private readonly credentials = new Map<string, Map<string, Credential>>();

  constructor(
    private readonly deps: PruneGuardDeps,
    private readonly settings: PruneGuardSettings,
  ) {}

  /** The provider accepted a push on the delivery's credential. */
  delivered(d: Scope): void {
    const state = this.stateOf(d);
    state.lastDeliveredAt = this.deps.now();
    state.logged.delete('not_delivering');
  }

  /** The credential was replaced or deleted: what the old one proved says nothing of the new one. */
  forget(appKey: string, provider: string): void {
    this.credentials.delete(`${appKey}\u0000${provider}`);
  }

  /** The dead-token answer as it is, if the device may be pruned on it; else a `config_error` keeping it. */
  async vet(d: Delivery, outcome: TokenGone): Promise<PushOutcome> {
    const now = this.deps.now();
    const state = this.stateOf(d);
    if (now - state.lastDeliveredAt > this.settings.recentDeliveryMs) {
      return this.refuse(d, outcome, 'not_delivering', 'the credential has not delivered to any device lately');
    }
    if (!state.window || now - state.window.start >= this.settings.breakerWindowMs) {
      state.window = { start: now, devices: this.deps.devices.countForCredential(d.appKey, d.provider), pruned: 0 };
      state.logged.delete('prune_breaker');
    }
    const window = state.window;
    const devices = await window.devices;
    if (window.pruned >= Math.max(this.settings.breakerFloor, Math.ceil(this.settings.breakerShare * devices))) {
      return this.refuse(d, outcome, 'prune_breaker', 'pruning paused: too many dead-token answers lately');
    }
    window.pruned += 1;
    return outcome;
  }

  private refuse(d: Delivery, outcome: TokenGone, cause: Cause, why: string): PushOutcome {
    this.deps.metrics.misconfigured.inc({ provider: d.providerType, cause });
    const state = this.stateOf(d);
    if (!state.logged.has(cause)) {
      state.logged.add(cause);
      const fields = {
        app: d.appKey,
        credential: d.provider,
        provider: d.providerType,
        ...(d.environment === undefined ? {} : { environment: d.environment }),
        cause,
        reason: outcome.reason,
      };
      this.deps.log.error(
        fields,
        cause === 'not_delivering'
          ? 'provider credential answers "dead token" while delivering to no device: devices kept; check its environment, bundle id or topic, project or app id'
          : `pruning paused for a provider credential: dead-token answers for over ${this.settings.breakerShare * 100} % of its devices within ${this.settings.breakerWindowMs / 60_000} min; devices kept`,
      );
    }
    return {
      kind: 'config_error',
      ...(outcome.status !== undefined ? { status: outcome.status } : {}),
      reason: `${outcome.reason}: device kept, ${why}`,
    };
  }

  private stateOf(d: Scope): Credential {
    const key = `${d.appKey}\u0000${d.provider}`;
    let environments = this.credentials.get(key);
    if (!environments) {
      environments = new Map();
      this.credentials.set(key, environments);
    }
    const environment = d.environment ?? '';
    let state = environments.get(environment);
    if (!state) {
      state = { lastDeliveredAt: Number.NEGATIVE_INFINITY, logged: new Set() };
      environments.set(environment, state);
    }
    return state;
  }
}
