/** One push token of this device: a device holds at most one per kind. */
export interface PushRegistration {
  /** The name of the app's provider credential on the gateway, e.g. `fcm`. */
  provider: string;
  /** The push token (for Web Push, the JSON-serialised PushSubscription). */
  token: string;
  /** `voip` for a PushKit token, `alert` for any other. */
  kind: 'voip' | 'alert';
}

/**
 * One token, or an iPhone's two (`registrations`: a PushKit `voip` token that rings and an APNs `alert` token
 * that carries cancels and missed-call notices). `locale` (a BCP 47 tag) picks the language of the texts the
 * gateway renders for this device.
 */
export type RegisterPushTokenOptions = (PushRegistration | { registrations: PushRegistration[] }) & {
  locale?: string;
};

/** The gateway's record of one registration. */
export interface RegisteredToken {
  provider: string;
  providerType: string;
  token: string;
  kind: string;
}

/** The gateway's record of a registered device; the top-level token is the one that rings (`voip` if any). */
export interface RegisteredDevice extends RegisteredToken {
  deviceId: string;
  userId: string;
  locale?: string;
  registrations: RegisteredToken[];
  createdAt: number;
  registeredAt: number;
}

const pick = ({ provider, token, kind }: PushRegistration): PushRegistration => ({ provider, token, kind });

/**
 * The `PUT /v1/me/devices/{deviceId}` body, with only the fields the gateway knows (the app may pass richer
 * objects). A single token keeps the original body, which every gateway version accepts.
 */
export function registrationBody(options: RegisterPushTokenOptions): Record<string, unknown> {
  const locale = options.locale === undefined ? {} : { locale: options.locale };
  if ('registrations' in options) return { registrations: options.registrations.map(pick), ...locale };
  return { ...pick(options), ...locale };
}
