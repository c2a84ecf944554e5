import { describe, expect, it } from 'vitest';
import { patched } from '../../../../src/domain/calls/model.js';
import { aDelivery, T0 } from '../../fixtures.js';

describe('patched', () => {
  it('returns a changed copy and leaves the original alone', () => {
    const d = aDelivery({ attempts: 1 });
    const copy = structuredClone(d);
    const next = patched(d, { state: 'sent', attempts: 2, sentAt: T0 + 9 });
    expect(next).not.toBe(d);
    expect(next).toMatchObject({ state: 'sent', attempts: 2, sentAt: T0 + 9 });
    expect(d).toEqual(copy);
  });

  it('keeps the lease unless the patch releases it', () => {
    const d = aDelivery({ leaseOwner: 'n_a', leaseUntil: T0 + 1 });
    const kept = patched(d, { state: 'pending', detail: 'retry' });
    expect(kept.leaseOwner).toBe('n_a');
    expect(kept.leaseUntil).toBe(T0 + 1);
    const released = patched(d, { state: 'sent', lease: 'release' });
    expect(released.leaseOwner).toBeUndefined();
    expect(released.leaseUntil).toBeUndefined();
  });

  it('does not leak the lease instruction into the delivery', () => {
    expect(patched(aDelivery(), { lease: 'release' })).not.toHaveProperty('lease');
  });
});
