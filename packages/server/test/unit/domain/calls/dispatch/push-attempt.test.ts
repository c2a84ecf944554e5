import { describe, expect, it } from 'vitest';
import {
  beforeDeadline,
  type PushAttemptDeps,
  pushOnce,
  type RingPayloads,
} from '../../../../../src/domain/calls/dispatch/push-attempt.js';
import type { Delivery } from '../../../../../src/domain/calls/model.js';
import { EndpointRefused } from '../../../../../src/infra/net/endpoint-policy.js';
import type { ProviderClient, PushOutcome, PushRequest, PushTarget } from '../../../../../src/providers/contract.js';
import { aCall, aDelivery, T0 } from '../../../fixtures.js';

const NOW = T0 + 2_000;

/** Texts as an app's templates would render them: the key and the language, so a test can see which was asked. */
const texts: PushAttemptDeps['texts'] = {
  settingsOf: async () => ({ missedCalls: { enabled: true, visibleOnData: true }, rejectWhenBusy: false }),
  textFor: async (_app, key, locale, vars) => ({
    title: `${key}:${locale ?? '-'}`,
    body: vars.displayName ?? vars.from,
  }),
};

interface Sent {
  targets: PushTarget[];
  request: PushRequest;
}

/** A provider client pool with one credential, recording what is asked of it. */
function fakePool(options: { credential?: boolean; admit?: boolean; send?: ProviderClient['send'] } = {}) {
  const log: string[] = [];
  const sent: Sent[] = [];
  const admitted: Array<{ appKey: string; name: string; count: number }> = [];
  let inflight = 0;
  const client: ProviderClient = {
    send:
      options.send ??
      (async (targets, request) => {
        log.push('send');
        sent.push({ targets, request });
        return targets.map((t): PushOutcome => ({ kind: 'sent', providerId: `id-${t.deviceId}` }));
      }),
    close: async () => undefined,
  };
  const clients: PushAttemptDeps['clients'] = {
    get: async (appKey, name) => {
      log.push(`get ${appKey}/${name}`);
      return options.credential === false ? undefined : client;
    },
    admit: (appKey, name, count) => {
      log.push('admit');
      admitted.push({ appKey, name, count });
      if (options.admit === false) return undefined;
      inflight += count;
      return () => {
        log.push('release');
        inflight -= count;
      };
    },
  };
  return { clients, log, sent, admitted, inflight: () => inflight };
}

const group = (n: number, overrides: Partial<Delivery> = {}) =>
  Array.from({ length: n }, (_, i) =>
    aDelivery({ id: `d_${i}`, deviceId: `dev${i}`, token: `tok${i}`, kind: i % 2 ? 'voip' : 'alert', ...overrides }),
  );

describe('pushOnce', () => {
  it('sends one request for the whole group and returns the client outcomes in order', async () => {
    const pool = fakePool();
    const outcomes = await pushOnce({ clients: pool.clients, texts }, aCall(), group(3), NOW);
    expect(outcomes.map((o) => (o.kind === 'sent' ? o.providerId : o.kind))).toEqual(['id-dev0', 'id-dev1', 'id-dev2']);
    expect(pool.sent).toHaveLength(1);
    expect(pool.sent[0]!.targets).toEqual([
      { deviceId: 'dev0', token: 'tok0', kind: 'alert' },
      { deviceId: 'dev1', token: 'tok1', kind: 'voip' },
      { deviceId: 'dev2', token: 'tok2', kind: 'alert' },
    ]);
  });

  it("looks up the client of the group's app and credential and takes one slot per delivery", async () => {
    const pool = fakePool();
    await pushOnce({ clients: pool.clients, texts }, aCall(), group(2, { appKey: 'app9', provider: 'huawei' }), NOW);
    expect(pool.log[0]).toBe('get app9/huawei');
    expect(pool.admitted).toEqual([{ appKey: 'app9', name: 'huawei', count: 2 }]);
  });

  it('carries the v1 message for the callee, the deadline, and the call id as collapse id', async () => {
    const pool = fakePool();
    const call = aCall({ id: 'c_xyz', expiresAt: T0 + 25_000, displayName: 'Alice' });
    await pushOnce({ clients: pool.clients, texts }, call, group(1, { userId: 'bob', deadline: T0 + 25_000 }), NOW);
    const { request } = pool.sent[0]!;
    expect(request.deadline).toBe(T0 + 25_000);
    expect(request.collapseId).toBe('c_xyz');
    expect(request.message).toMatchObject({ type: 'call.ring', callId: 'c_xyz', to: 'bob', sentAt: NOW });
    expect(request).not.toHaveProperty('data');
  });

  it('a cancel carries its reason in the message', async () => {
    const pool = fakePool();
    await pushOnce(
      { clients: pool.clients, texts },
      aCall(),
      group(1, { type: 'cancel', cancelReason: 'declined' }),
      NOW,
    );
    expect(pool.sent[0]!.request.message).toMatchObject({ type: 'call.cancel', reason: 'declined' });
  });

  it('a cancel carries the text of its reason in its device language, at high priority, hidden on data transports', async () => {
    const pool = fakePool();
    const d = group(1, { type: 'cancel', cancelReason: 'answered_elsewhere', locale: 'de' });
    await pushOnce({ clients: pool.clients, texts }, aCall({ displayName: 'Alice' }), d, NOW);
    const { request } = pool.sent[0]!;
    expect(request.message).toMatchObject({ text: { title: 'answeredElsewhere:de', body: 'Alice' } });
    expect(request.notification).toMatchObject({ title: 'answeredElsewhere:de', visibleOnData: false });
    expect(request.priority).toBeUndefined();
  });

  it('a missed notice goes at normal priority, until its own deadline, visible on data transports when the app asks', async () => {
    const pool = fakePool();
    const deadline = NOW + 6 * 3600_000;
    const call = aCall({ video: true });
    await pushOnce(
      { clients: pool.clients, texts },
      call,
      group(1, { type: 'missed', cancelReason: 'timeout', deadline }),
      NOW,
    );
    const { request } = pool.sent[0]!;
    expect(request.priority).toBe('normal');
    expect(request.deadline).toBe(deadline);
    expect(request.message).toMatchObject({
      type: 'call.missed',
      reason: 'timeout',
      video: true,
      callStartedAt: call.createdAt,
      expiresAt: deadline,
      text: { title: 'missedVideoCall:-' },
    });
    expect(request.notification?.visibleOnData).toBe(true);
  });

  it('a ring carries the incoming-call text for alert devices, not in its message', async () => {
    const pool = fakePool();
    await pushOnce({ clients: pool.clients, texts }, aCall(), group(1), NOW);
    const { request } = pool.sent[0]!;
    expect(request.notification).toMatchObject({ title: 'incomingCall:-', visibleOnData: false });
    expect(request.message).not.toHaveProperty('text');
  });

  it('no credential: every delivery is a config_error, nothing is admitted or sent', async () => {
    const pool = fakePool({ credential: false });
    const outcomes = await pushOnce({ clients: pool.clients, texts }, aCall(), group(3), NOW);
    expect(outcomes).toHaveLength(3);
    for (const o of outcomes) expect(o.kind).toBe('config_error');
    expect(pool.admitted).toEqual([]);
    expect(pool.sent).toEqual([]);
  });

  it('shed: when the credential is full every delivery retries, and the client is never called', async () => {
    const pool = fakePool({ admit: false });
    let writes = 0;
    const outcomes = await pushOnce({ clients: pool.clients, texts }, aCall(), group(2), NOW, () => writes++);
    expect(outcomes).toHaveLength(2);
    for (const o of outcomes) {
      expect(o.kind).toBe('retry');
      expect(o.kind === 'retry' && o.reason).toMatch(/^shed/);
    }
    expect(pool.sent).toEqual([]);
    expect(writes).toBe(0);
  });

  it('onWrite is told once, after admission and before the request goes out', async () => {
    const pool = fakePool();
    await pushOnce({ clients: pool.clients, texts }, aCall(), group(3), NOW, () => pool.log.push('write'));
    expect(pool.log.filter((e) => e === 'write')).toHaveLength(1);
    expect(pool.log.slice(1)).toEqual(['admit', 'write', 'send', 'release']);
  });

  it('onWrite is not told when nothing is sent', async () => {
    let writes = 0;
    await pushOnce({ clients: fakePool({ credential: false }).clients, texts }, aCall(), group(1), NOW, () => writes++);
    expect(writes).toBe(0);
  });

  it('releases its slots once the client answers', async () => {
    const pool = fakePool();
    await pushOnce({ clients: pool.clients, texts }, aCall(), group(4), NOW);
    expect(pool.inflight()).toBe(0);
    expect(pool.log.filter((e) => e === 'release')).toHaveLength(1);
  });

  it('releases its slots even when a client breaks its promise and throws', async () => {
    const pool = fakePool({
      send: async () => {
        throw new Error('client bug');
      },
    });
    await expect(pushOnce({ clients: pool.clients, texts }, aCall(), group(2), NOW)).rejects.toThrow('client bug');
    expect(pool.inflight()).toBe(0);
  });

  describe('ring payloads from another SDK format', () => {
    const payloads = (fn: RingPayloads['payloadFor']): RingPayloads => ({ payloadFor: fn });

    it('a ring carries the data map of the payload source, asked for the head delivery', async () => {
      const pool = fakePool();
      const asked: string[] = [];
      const source = payloads(async (call, d) => {
        asked.push(`${call.id}/${d.userId}`);
        return { event: 'on_call_incoming', message: '{}' };
      });
      await pushOnce({ clients: pool.clients, texts, payloads: source }, aCall(), group(2), NOW);
      expect(asked).toEqual(['c_call1/bob']);
      expect(pool.sent[0]!.request.data).toEqual({ event: 'on_call_incoming', message: '{}' });
      // The v1 message still travels for the transports that keep it (APNs, Web Push).
      expect(pool.sent[0]!.request.message.type).toBe('call.ring');
    });

    it('a ring the source has no payload for goes without data', async () => {
      const pool = fakePool();
      await pushOnce(
        { clients: pool.clients, texts, payloads: payloads(async () => undefined) },
        aCall(),
        group(1),
        NOW,
      );
      expect(pool.sent[0]!.request).not.toHaveProperty('data');
    });

    it('a cancel never asks the payload source and never carries data', async () => {
      const pool = fakePool();
      let asked = 0;
      const source = payloads(async () => {
        asked++;
        return { x: 'y' };
      });
      await pushOnce(
        { clients: pool.clients, texts, payloads: source },
        aCall(),
        group(1, { type: 'cancel', cancelReason: 'timeout' }),
        NOW,
      );
      expect(asked).toBe(0);
      expect(pool.sent[0]!.request).not.toHaveProperty('data');
    });

    it('a payload source that throws makes every delivery retry with its message, sending nothing', async () => {
      const pool = fakePool();
      let writes = 0;
      const source = payloads(async () => {
        throw new Error('kaleyra token endpoint down');
      });
      const outcomes = await pushOnce(
        { clients: pool.clients, texts, payloads: source },
        aCall(),
        group(2),
        NOW,
        () => writes++,
      );
      expect(outcomes).toHaveLength(2);
      for (const o of outcomes) {
        expect(o.kind).toBe('retry');
        expect(o.kind === 'retry' && o.reason).toContain('kaleyra token endpoint down');
      }
      expect(pool.admitted).toEqual([]);
      expect(pool.sent).toEqual([]);
      expect(writes).toBe(0);
    });

    it('a payload source whose URL the endpoint policy refuses is a config_error: it would be refused again', async () => {
      const pool = fakePool();
      const source = payloads(async () => {
        throw new EndpointRefused('the endpoint must be https');
      });
      const outcomes = await pushOnce({ clients: pool.clients, texts, payloads: source }, aCall(), group(1), NOW);
      expect(outcomes).toEqual([{ kind: 'config_error', reason: 'payload not ready: the endpoint must be https' }]);
      expect(pool.sent).toEqual([]);
    });
  });
});

describe('beforeDeadline', () => {
  const call = aCall();

  it('lets a push go while the deadline is ahead', async () => {
    expect(await beforeDeadline(call, [aDelivery({ deadline: NOW + 1 })], NOW)).toBeUndefined();
  });

  it.each([0, 1, 10_000])('expires the group and releases its lease %i ms at or past the deadline', async (late) => {
    const patch = await beforeDeadline(call, [aDelivery({ deadline: NOW - late })], NOW);
    expect(patch?.state).toBe('expired');
    expect(patch?.lease).toBe('release');
  });
});
