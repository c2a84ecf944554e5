import { describe, expect, it } from 'vitest';
import { cancelReasonOf, statusOf } from '../../../../src/domain/calls/call-status.js';
import { aCall, T0 } from '../../fixtures.js';

const NOW = T0 + 1_000;

describe('statusOf', () => {
  it('a ringing callee keeps ringing until the deadline, then it is timed out even before the timer fires', () => {
    const call = aCall({ expiresAt: T0 + 30_000 });
    expect(statusOf(call, { userId: 'bob', deviceId: 'pixel' }, NOW).status).toBe('ringing');
    expect(statusOf(call, { userId: 'bob', deviceId: 'pixel' }, T0 + 30_000).status).toBe('timed_out');
  });

  it("tells the answering device from the callee's other devices", () => {
    const call = aCall({
      state: 'answered',
      callees: { bob: 'answered' },
      answeredBy: { userId: 'bob', deviceId: 'iphone' },
    });
    expect(statusOf(call, { userId: 'bob', deviceId: 'iphone' }, NOW).status).toBe('answered');
    expect(statusOf(call, { userId: 'bob', deviceId: 'pixel' }, NOW).status).toBe('answered_elsewhere');
  });

  it('says why the ring stopped: declined, busy, cancelled, ended', () => {
    const viewer = { userId: 'bob', deviceId: 'pixel' };
    expect(statusOf(aCall({ state: 'declined', callees: { bob: 'declined' } }), viewer, NOW).status).toBe('declined');
    expect(statusOf(aCall({ state: 'busy', callees: { bob: 'busy' } }), viewer, NOW).status).toBe('busy');
    expect(statusOf(aCall({ state: 'cancelled', endReason: 'caller_cancelled' }), viewer, NOW)).toMatchObject({
      state: 'cancelled',
      status: 'cancelled',
      endReason: 'caller_cancelled',
    });
    const ended = aCall({
      state: 'ended',
      callees: { bob: 'answered' },
      answeredBy: { userId: 'bob', deviceId: 'iphone' },
    });
    expect(statusOf(ended, viewer, NOW).status).toBe('ended');
  });

  it('a group callee still ringing keeps ringing while another callee talks', () => {
    const call = aCall({ state: 'answered', callees: { bob: 'ringing', carol: 'answered' }, expiresAt: T0 + 30_000 });
    expect(statusOf(call, { userId: 'bob' }, NOW).status).toBe('ringing');
  });

  it('the caller and the app see the call state', () => {
    const call = aCall({
      state: 'answered',
      callees: { bob: 'answered' },
      answeredBy: { userId: 'bob', deviceId: 'x' },
    });
    expect(statusOf(call, { userId: call.from }, NOW).status).toBe('answered');
    expect(statusOf(call, undefined, NOW).status).toBe('answered');
  });
});

describe('cancelReasonOf', () => {
  it('no cancel while the device may ring or is the one that answered', () => {
    expect(cancelReasonOf('ringing')).toBeUndefined();
    expect(cancelReasonOf('answered')).toBeUndefined();
  });

  it('maps every stop to the cancel reason of the wire format', () => {
    expect(cancelReasonOf('cancelled')).toBe('caller_cancelled');
    expect(cancelReasonOf('timed_out')).toBe('timeout');
    expect(cancelReasonOf('answered_elsewhere')).toBe('answered_elsewhere');
    expect(cancelReasonOf('busy')).toBe('busy');
    expect(cancelReasonOf('declined')).toBe('declined');
    expect(cancelReasonOf('ended')).toBe('ended');
  });
});
