import type { ApnsEnvironment, ProviderType, WebPushFormat } from '#providers';
import type { ReportedCapabilities } from './capabilities.js';

export type DeviceKind = 'voip' | 'alert';

/** One push token of a device: a device holds at most one per kind. */
export interface DeviceRegistration {
  /** Name of the provider credential the token belongs to. */
  provider: string;
  providerType: ProviderType;
  token: string;
  kind: DeviceKind;
  /** APNs only: the environment that issued the token; absent: the credential's. */
  environment?: ApnsEnvironment;
  /** Web Push only: the body its pushes take (declarative or service-worker); absent: the credential's. */
  format?: WebPushFormat;
}

/**
 * A device with its registrations (voip first). The top-level provider, type, token and kind are its ring
 * registration, the voip one when there is one, so readers written for one token per device keep working.
 */
export interface Device extends DeviceRegistration {
  deviceId: string;
  userId: string;
  /** BCP 47 tag its notifications are written in; absent: the app's default. */
  locale?: string;
  /** One or two, voip first; never empty. */
  registrations: DeviceRegistration[];
  /** What the device reported it can do; absent: it never reported. */
  capabilities?: ReportedCapabilities;
  createdAt: number;
  registeredAt: number;
}

/** Voip before alert: the first registration of a device is the one it is rung on. */
export const byRingOrder = (a: DeviceRegistration, b: DeviceRegistration): number =>
  a.kind === b.kind ? 0 : a.kind === 'voip' ? -1 : 1;

/**
 * Where cancels and missed-call notices go: the alert registration, else the voip one (a device registered with
 * one token hears everything on it).
 */
export function alertRegistration(device: Pick<Device, 'registrations'>): DeviceRegistration {
  return device.registrations.find((r) => r.kind === 'alert') ?? device.registrations[0]!;
}
