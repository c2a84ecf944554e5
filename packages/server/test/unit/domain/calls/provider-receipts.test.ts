import { describe, expect, it } from 'vitest';
import { diagnose } from '../../../../src/domain/calls/diagnosis.js';
import { funnelOf } from '../../../../src/domain/calls/funnel.js';
import type { Delivery } from '../../../../src/domain/calls/model.js';
import { aCall, aDelivery, T0 } from '../../fixtures.js';

const ENDED = aCall({ state: 'timed_out', endReason: 'timeout' });
const sent = {
  transport: 'push',
  state: 'sent',
  outcome: 'sent',
  attempts: 1,
  firstAttemptAt: T0 + 10,
  sentAt: T0 + 60,
  providerId: '157440955549500318002701',
} as const;
const at = T0 + 400;

const diagnosed = (ring: Partial<Delivery>) => diagnose(ENDED, [aDelivery(ring)], [], T0 + 60_000).devices[0]!;

describe("a provider's delivery receipt on the funnel and in the diagnosis", () => {
  it('delivered is its own milestone, before and apart from the device receipt', () => {
    const delivered = { kind: 'delivered', reason: 'HMS receipt 0: delivered to the device', at } as const;
    expect(funnelOf(aDelivery({ ...sent, providerReceipt: delivered })).map((s) => s.milestone)).toEqual([
      'accepted',
      'sent',
      'provider_accepted',
      'provider_delivered',
    ]);
    const both = aDelivery({ ...sent, state: 'received', receivedAt: T0 + 500, providerReceipt: delivered });
    expect(funnelOf(both).map((s) => s.milestone)).toEqual([
      'accepted',
      'sent',
      'provider_accepted',
      'provider_delivered',
      'received',
    ]);
    expect(diagnose(ENDED, [both], [], T0 + 60_000).devices[0]!.code).toBe('received');
  });

  it('delivered without a device receipt: the app got the push and did not confirm it', () => {
    const d = diagnosed({ ...sent, providerReceipt: { kind: 'delivered', reason: 'x', at } });
    expect(d.code).toBe('provider_delivered');
    expect(d.message).toMatch(/reached the device at .*, but the app sent no receipt within the ring window/);
  });

  it('undelivered: the provider accepted it, then reported it lost, with its reason', () => {
    const reason = 'HMS receipt 10: the device has not connected to Push Kit for 30 days: not sent';
    const ring = { ...sent, state: 'failed', outcome: 'undelivered', detail: reason } as const;
    const d = diagnosed({ ...ring, providerReceipt: { kind: 'undelivered', reason, at } });
    expect(d.code).toBe('provider_undelivered');
    expect(d.message).toContain(`did not reach the app (${reason})`);
    const funnel = funnelOf(aDelivery({ ...ring, providerReceipt: { kind: 'undelivered', reason, at } }));
    expect(funnel.map((s) => s.milestone)).toEqual(['accepted', 'sent', 'provider_accepted']);
  });

  it('held: reached the phone, not the app; unknown: quoted under no receipt', () => {
    const held = diagnosed({ ...sent, providerReceipt: { kind: 'held', reason: 'HMS receipt 27: held', at } });
    expect(held.code).toBe('provider_held');
    const unknown = diagnosed({ ...sent, providerReceipt: { kind: 'unknown', reason: 'HMS receipt 999: ?', at } });
    expect(unknown.code).toBe('no_receipt');
    expect(unknown.message).toMatch(/said: HMS receipt 999/);
  });
});
