/** One push token of this device: a device holds at most one per kind. */
export interface PushRegistration {
  /** The name of the app's provider credential on the gateway, e.g. `fcm`. */
  provider: string;
  /** The push token (for Web Push, the JSON-serialised PushSubscription). */
  token: string;
  /** `voip` for a PushKit token, `alert` for any other. */
  kind: 'voip' | 'alert';
  /**
   * APNs only: the environment whose gateway issued the token, `sandbox` for a development build (the
   * `aps-environment` entitlement says which). Absent: the credential's environment.
   */
  environment?: ApnsEnvironment;
  /**
   * Web Push only: `declarative` for a browser that shows a declarative push message by itself (Safari 18.4+),
   * `service-worker` for one whose service worker shows the v1 message. Absent: the credential's format. The
   * library never guesses it: the app knows which kind of page subscribed.
   */
  format?: WebPushFormat;
}

export type ApnsEnvironment = 'sandbox' | 'production';
export type WebPushFormat = 'declarative' | 'service-worker';

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
  /** The environment the registration named; absent: the credential's. */
  environment?: ApnsEnvironment;
  /** The format the registration named; absent: the credential's. */
  format?: WebPushFormat;
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

/** The fields the gateway knows, the optional ones only when given (an older gateway refuses a field it lacks). */
const pick = ({ provider, token, kind, environment, format }: PushRegistration): PushRegistration => ({
  provider,
  token,
  kind,
  ...(environment === undefined ? {} : { environment }),
  ...(format === undefined ? {} : { format }),
});

/**
 * The `PUT /v1/me/devices/{deviceId}` body, with only the fields the gateway knows (the app may pass richer
 * objects). A single token keeps the original body, which every gateway version accepts.
 */
export function registrationBody(options: RegisterPushTokenOptions): Record<string, unknown> {
  const locale = options.locale === undefined ? {} : { locale: options.locale };
  if ('registrations' in options) return { registrations: options.registrations.map(pick), ...locale };
  return { ...pick(options), ...locale };
}
