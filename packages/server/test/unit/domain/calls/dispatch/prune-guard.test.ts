import type { FastifyBaseLogger } from 'fastify';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import {
  PRUNE_GUARD_SETTINGS,
  PruneGuard,
  type PruneGuardSettings,
} from '../../../../../src/domain/calls/dispatch/prune-guard.js';
import { RingMetrics } from '../../../../../src/domain/calls/metrics.js';
import type { PushOutcome } from '../../../../../src/providers/contract.js';
import { aDelivery, T0 } from '../../../fixtures.js';

const MIN = 60_000;
const dead: Extract<PushOutcome, { kind: 'token_gone' }> = {
  kind: 'token_gone',
  status: 400,
  reason: 'BadDeviceToken',
};

function setup(devices = 100, settings: PruneGuardSettings = PRUNE_GUARD_SETTINGS) {
  let now = T0;
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg: string }> = [];
  const at = (level: string) => (obj: Record<string, unknown>, msg: string) => lines.push({ level, obj, msg });
  const log = { error: at('error'), warn: at('warn'), info: at('info') } as unknown as FastifyBaseLogger;
  const registry = new Registry();
  const metrics = new RingMetrics(registry);
  let counted = 0;
  const guard = new PruneGuard(
    {
      devices: {
        countForCredential: async () => {
          counted += 1;
          return devices;
        },
      },
      metrics,
      log,
      now: () => now,
    },
    settings,
  );
  return {
    guard,
    lines,
    advance: (ms: number) => {
      now += ms;
    },
    counted: () => counted,
    misconfigured: async () =>
      (await registry.getSingleMetric('callpush_credential_misconfigured_total')!.get()).values.map((v) => ({
        ...v.labels,
        n: v.value,
      })),
  };
}

const apns = (i = 0) => aDelivery({ id: `d_${i}`, provider: 'ios', providerType: 'apns', token: `t${i}` });

describe('PruneGuard: a dead-token answer prunes only for a credential that is delivering', () => {
  it('keeps the device of a credential that never delivered: config_error, counted, logged once, loudly', async () => {
    const { guard, lines, misconfigured } = setup();
    for (let i = 0; i < 5; i++) {
      const vetted = await guard.vet(apns(i), dead);
      expect(vetted).toMatchObject({ kind: 'config_error', status: 400 });
      expect(vetted.kind === 'config_error' && vetted.reason).toMatch(/^BadDeviceToken: .*has not delivered/);
    }
    expect(await misconfigured()).toEqual([{ provider: 'apns', cause: 'not_delivering', n: 5 }]);
    expect(lines.filter((l) => l.level === 'error')).toHaveLength(1);
    expect(lines[0]!.obj).toMatchObject({ app: 'app1', credential: 'ios', provider: 'apns' });
  });

  it('prunes once the same credential delivered within the window, and not after it', async () => {
    const { guard, advance } = setup();
    guard.delivered(apns(1));
    expect(await guard.vet(apns(2), dead)).toEqual(dead);
    advance(PRUNE_GUARD_SETTINGS.recentDeliveryMs + 1);
    expect((await guard.vet(apns(3), dead)).kind).toBe('config_error');
  });

  it("counts deliveries per credential: another credential's success proves nothing", async () => {
    const { guard } = setup();
    guard.delivered(aDelivery({ provider: 'android', providerType: 'fcm' }));
    guard.delivered(aDelivery({ appKey: 'app2', provider: 'ios', providerType: 'apns' }));
    expect((await guard.vet(apns(), dead)).kind).toBe('config_error');
  });

  it('forgets what a credential proved when it is replaced', async () => {
    const { guard } = setup();
    guard.delivered(apns(1));
    guard.forget('app1', 'ios');
    expect((await guard.vet(apns(2), dead)).kind).toBe('config_error');
  });

  it('logs again after the credential delivered and then stopped', async () => {
    const { guard, lines, advance } = setup();
    await guard.vet(apns(1), dead);
    guard.delivered(apns(2));
    advance(PRUNE_GUARD_SETTINGS.recentDeliveryMs + 1);
    await guard.vet(apns(3), dead);
    expect(lines.filter((l) => l.level === 'error')).toHaveLength(2);
  });
});

describe('PruneGuard: the circuit breaker', () => {
  it(`stops pruning past ${PRUNE_GUARD_SETTINGS.breakerShare * 100} % of the credential's devices in a window`, async () => {
    const { guard, lines, misconfigured, counted } = setup(300);
    guard.delivered(apns());
    const kinds = [];
    for (let i = 0; i < 40; i++) kinds.push((await guard.vet(apns(i), dead)).kind);
    // 10 % of 300 devices.
    expect(kinds.filter((k) => k === 'token_gone')).toHaveLength(30);
    expect(kinds.slice(30).every((k) => k === 'config_error')).toBe(true);
    expect(await misconfigured()).toEqual([{ provider: 'apns', cause: 'prune_breaker', n: 10 }]);
    expect(lines.filter((l) => l.level === 'error')).toHaveLength(1);
    expect(lines[0]!.msg).toMatch(/pruning paused/);
    // The device count is read once per window, not once per answer.
    expect(counted()).toBe(1);
  });

  it('lets a small credential prune up to the floor', async () => {
    const { guard } = setup(4);
    guard.delivered(apns());
    const kinds = [];
    for (let i = 0; i < 12; i++) kinds.push((await guard.vet(apns(i), dead)).kind);
    expect(kinds.filter((k) => k === 'token_gone')).toHaveLength(PRUNE_GUARD_SETTINGS.breakerFloor);
  });

  it('closes again in the next window', async () => {
    const { guard, advance } = setup(20, { ...PRUNE_GUARD_SETTINGS, breakerFloor: 2 });
    guard.delivered(apns());
    expect((await guard.vet(apns(1), dead)).kind).toBe('token_gone');
    expect((await guard.vet(apns(2), dead)).kind).toBe('token_gone');
    expect((await guard.vet(apns(3), dead)).kind).toBe('config_error');
    advance(PRUNE_GUARD_SETTINGS.breakerWindowMs);
    guard.delivered(apns());
    expect((await guard.vet(apns(4), dead)).kind).toBe('token_gone');
  });

  it('holds under concurrent answers (one batch of dead tokens)', async () => {
    const { guard } = setup(50, { ...PRUNE_GUARD_SETTINGS, breakerFloor: 1 });
    guard.delivered(apns());
    const vetted = await Promise.all(Array.from({ length: 30 }, (_, i) => guard.vet(apns(i), dead)));
    expect(vetted.filter((o) => o.kind === 'token_gone')).toHaveLength(5);
  });

  it('defaults: 10 minutes of proof, at most 10 % (at least 10) per 10 minutes', () => {
    expect(PRUNE_GUARD_SETTINGS).toEqual({
      recentDeliveryMs: 10 * MIN,
      breakerWindowMs: 10 * MIN,
      breakerShare: 0.1,
      breakerFloor: 10,
    });
  });
});
