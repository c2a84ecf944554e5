import { describe, expect, it } from 'vitest';
import { funnelOf } from '../../../../src/domain/calls/funnel.js';
import { aDelivery, T0 } from '../../fixtures.js';

describe('the funnel of a delivery', () => {
  it('has only `accepted` before anything was sent', () => {
    expect(funnelOf(aDelivery())).toEqual([{ milestone: 'accepted', at: T0 }]);
  });

  it('goes accepted, sent, provider accepted (with the message id), received, answered', () => {
    const d = aDelivery({
      state: 'received',
      outcome: 'sent',
      attempts: 1,
      firstAttemptAt: T0 + 5,
      sentAt: T0 + 80,
      providerId: 'projects/p/messages/0:1',
      receivedAt: T0 + 900,
      acted: 'answered',
      actedAt: T0 + 4000,
    });
    expect(funnelOf(d)).toEqual([
      { milestone: 'accepted', at: T0 },
      { milestone: 'sent', at: T0 + 5 },
      { milestone: 'provider_accepted', at: T0 + 80, providerId: 'projects/p/messages/0:1' },
      { milestone: 'received', at: T0 + 900 },
      { milestone: 'answered', at: T0 + 4000 },
    ]);
  });

  it('shows a refused push as sent, never as accepted by the provider', () => {
    const d = aDelivery({ state: 'failed', outcome: 'config_error', attempts: 1, firstAttemptAt: T0 + 5 });
    expect(funnelOf(d).map((s) => s.milestone)).toEqual(['accepted', 'sent']);
  });

  it('has no provider step for a ring over the socket, nor for a push that failed after a socket send', () => {
    const socket = aDelivery({
      transport: 'connection',
      state: 'sent',
      outcome: 'sent',
      firstAttemptAt: T0,
      sentAt: T0,
    });
    expect(funnelOf(socket).map((s) => s.milestone)).toEqual(['accepted', 'sent']);
    const fellBack = { ...socket, transport: 'push' as const, state: 'failed' as const, outcome: 'token_gone' };
    expect(funnelOf(fellBack).map((s) => s.milestone)).toEqual(['accepted', 'sent']);
  });

  it('ends with declined when the callee declined on this device', () => {
    const d = aDelivery({ state: 'received', receivedAt: T0 + 10, acted: 'declined', actedAt: T0 + 20 });
    expect(funnelOf(d).at(-1)).toEqual({ milestone: 'declined', at: T0 + 20 });
  });
});
