import { describe, expect, it } from 'vitest';
import { messageFor } from '../../../../src/domain/calls/messages.js';
import { aCall, T0 } from '../../fixtures.js';

const NOW = T0 + 4_000;

describe('messageFor', () => {
  const call = aCall({
    id: 'c_42',
    appKey: 'app7',
    from: 'alice',
    displayName: 'Alice A.',
    video: true,
    headers: { room: 'r-42' },
    expiresAt: T0 + 30_000,
  });

  it('a ring is the full v1 call.ring for that callee', () => {
    expect(messageFor(call, { userId: 'bob', type: 'ring' }, NOW)).toEqual({
      v: 1,
      type: 'call.ring',
      callId: 'c_42',
      app: 'app7',
      from: 'alice',
      to: 'bob',
      displayName: 'Alice A.',
      video: true,
      headers: { room: 'r-42' },
      sentAt: NOW,
      expiresAt: T0 + 30_000,
    });
  });

  it('a ring of a call without a display name has no displayName key at all', () => {
    const plain = aCall({ id: 'c_42' });
    expect(plain.displayName).toBeUndefined();
    expect(messageFor(plain, { userId: 'bob', type: 'ring' }, NOW)).not.toHaveProperty('displayName');
  });

  it('a cancel carries its reason and none of the ring-only fields', () => {
    const m = messageFor(call, { userId: 'carol', type: 'cancel', cancelReason: 'answered_elsewhere' }, NOW);
    expect(m).toEqual({
      v: 1,
      type: 'call.cancel',
      callId: 'c_42',
      app: 'app7',
      from: 'alice',
      to: 'carol',
      reason: 'answered_elsewhere',
      sentAt: NOW,
      expiresAt: T0 + 30_000,
    });
  });

  it('a cancel stored without a reason says the call ended', () => {
    const m = messageFor(call, { userId: 'bob', type: 'cancel' }, NOW);
    expect(m.type === 'call.cancel' && m.reason).toBe('ended');
  });
});
