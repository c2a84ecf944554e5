import { Type } from 'typebox';
import { LOCALE_MAX_LENGTH, LOCALE_PATTERN, MAX_REGISTRATIONS, type RegisterInput } from '#domain/devices';

const Provider = Type.String({ description: 'name of the provider credential' });
const ProviderType = Type.String({ description: 'fcm, hms, apns or webpush' });
const Kind = Type.String({ description: 'voip or alert' });
const Environment = Type.Union([Type.Literal('sandbox'), Type.Literal('production')], {
  description:
    'APNs only: the environment that issued the token (sandbox for a development build); absent: the credential environment',
});

const Format = Type.Union([Type.Literal('declarative'), Type.Literal('service-worker')], {
  description:
    'Web Push only: declarative (a notification the browser shows by itself, Safari 18.4+) or service-worker (the ' +
    'v1 message for the page service worker); absent: the credential format',
});

const capabilityFields = {
  notifications: Type.Optional(
    Type.Union([Type.Literal('granted'), Type.Literal('denied'), Type.Literal('default')], {
      description: 'the OS notification permission of the app (default: the user was not asked yet)',
    }),
  ),
  fullScreenIntent: Type.Optional(
    Type.Boolean({ description: 'Android 14+: whether the app may show its full-screen incoming-call screen' }),
  ),
  fcmPriority: Type.Optional(
    Type.Union([Type.Literal('high'), Type.Literal('normal')], {
      description: 'the priority FCM delivered the last push at (RemoteMessage.getPriority)',
    }),
  ),
  callKitReported: Type.Optional(
    Type.Boolean({ description: 'iOS: whether the app reported its last VoIP push to CallKit' }),
  ),
};

/** What a device may report when it registers and on a receipt: each fact optional, nothing else. */
export const CapabilitiesSchema = Type.Object(capabilityFields, {
  additionalProperties: false,
  description: 'what the device can do (docs/diagnosis.md); merged into what it reported before',
});

const RegistrationSchema = Type.Object({
  provider: Provider,
  providerType: ProviderType,
  token: Type.String(),
  kind: Kind,
  environment: Type.Optional(Environment),
  format: Type.Optional(Format),
});

export const DeviceSchema = Type.Object({
  deviceId: Type.String(),
  userId: Type.String(),
  provider: Type.String({ description: 'the ring registration (voip when there is one, else alert): its credential' }),
  providerType: ProviderType,
  token: Type.String({ description: 'the ring registration: its token' }),
  kind: Type.String({ description: 'the ring registration: its kind, voip or alert' }),
  locale: Type.Optional(Type.String({ description: 'language of its notifications; absent: the app default' })),
  registrations: Type.Array(RegistrationSchema, {
    description:
      'every registration of the device, voip first; rings go to the first, cancels and missed-call notices to the alert one',
  }),
  capabilities: Type.Optional(
    Type.Object(
      { ...capabilityFields, reportedAt: Type.Integer({ description: 'when the device last reported, epoch ms' }) },
      { description: 'every fact the device reported so far; absent: it never reported' },
    ),
  ),
  createdAt: Type.Integer(),
  registeredAt: Type.Integer(),
});

const registrationFields = {
  provider: Type.String({ minLength: 1, maxLength: 128, description: 'name of one of the app provider credentials' }),
  token: Type.String({
    minLength: 1,
    maxLength: 4096,
    description: 'the push token; for Web Push the JSON-serialised PushSubscription',
  }),
  kind: Type.Union([Type.Literal('voip'), Type.Literal('alert')], {
    description: 'voip: a PushKit token (rings through CallKit); alert: a regular push token',
  }),
  environment: Type.Optional(Environment),
  format: Type.Optional(Format),
};

const locale = Type.Optional(
  Type.String({
    maxLength: LOCALE_MAX_LENGTH,
    pattern: LOCALE_PATTERN,
    description: 'BCP 47 language tag (de, pt-BR) of the cancels and missed-call notices; absent: the app default',
  }),
);

const capabilities = Type.Optional(CapabilitiesSchema);

const OneRegistration = Type.Object(
  { ...registrationFields, locale, capabilities },
  { additionalProperties: false, description: 'a device with one registration' },
);

const Registrations = Type.Object(
  {
    registrations: Type.Array(Type.Object(registrationFields, { additionalProperties: false }), {
      minItems: 1,
      maxItems: MAX_REGISTRATIONS,
      description: 'one or two registrations, at most one per kind (an iPhone: its PushKit and its regular APNs token)',
    }),
    locale,
    capabilities,
  },
  { additionalProperties: false, description: 'a device with a registration per kind' },
);

/**
 * Either body. A condition on `registrations` picks the one to check, rather than `anyOf`, so a refusal names
 * the field at fault inside the body the client meant instead of a field of the other one.
 */
export const RegisterDeviceBody = Type.Unsafe<RegisterInput>({
  type: 'object',
  description: 'the device registrations, which replace those it had',
  if: { required: ['registrations'] },
  // biome-ignore lint/suspicious/noThenProperty: the JSON Schema keyword; not a function, so never a thenable
  then: Registrations,
  else: OneRegistration,
});
