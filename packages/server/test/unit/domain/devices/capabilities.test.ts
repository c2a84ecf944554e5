import { describe, expect, it } from 'vitest';
import { mergeCapabilities } from '../../../../src/domain/devices/capabilities.js';

describe('capability reports', () => {
  it('keep what an earlier report said and change only what the new one names', () => {
    const first = mergeCapabilities(undefined, { notifications: 'granted', fullScreenIntent: false }, 100);
    expect(first).toEqual({ notifications: 'granted', fullScreenIntent: false, reportedAt: 100 });
    const second = mergeCapabilities(first, { notifications: 'denied', fcmPriority: 'normal' }, 200);
    expect(second).toEqual({
      notifications: 'denied',
      fullScreenIntent: false,
      fcmPriority: 'normal',
      reportedAt: 200,
    });
  });

  it('an empty report only says when the device last reported', () => {
    expect(mergeCapabilities({ callKitReported: true, reportedAt: 1 }, {}, 5)).toEqual({
      callKitReported: true,
      reportedAt: 5,
    });
  });
});
