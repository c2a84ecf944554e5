import { describe, expect, it } from 'vitest';
import { alertRegistration, byRingOrder, type DeviceRegistration } from '../../../../src/domain/devices/device.js';

const voip: DeviceRegistration = { provider: 'apns-voip', providerType: 'apns', token: 'v1', kind: 'voip' };
const alert: DeviceRegistration = { provider: 'apns', providerType: 'apns', token: 'a1', kind: 'alert' };

describe('a device’s registrations', () => {
  it('are ordered voip first, the registration a device is rung on', () => {
    expect([alert, voip].sort(byRingOrder)).toEqual([voip, alert]);
    expect([voip, alert].sort(byRingOrder)).toEqual([voip, alert]);
  });

  it('send notices to the alert registration, or to the only one a device has', () => {
    expect(alertRegistration({ registrations: [voip, alert] })).toBe(alert);
    expect(alertRegistration({ registrations: [voip] })).toBe(voip);
    expect(alertRegistration({ registrations: [alert] })).toBe(alert);
  });
});
