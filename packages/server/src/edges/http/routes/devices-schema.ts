import { Type } from 'typebox';

export const DeviceSchema = Type.Object({
  deviceId: Type.String(),
  userId: Type.String(),
  provider: Type.String({ description: 'name of the provider credential' }),
  providerType: Type.String({ description: 'fcm, hms, apns or webpush' }),
  token: Type.String(),
  kind: Type.String({ description: 'voip or alert' }),
  createdAt: Type.Integer(),
  registeredAt: Type.Integer(),
});

export const RegisterDeviceBody = Type.Object(
  {
    provider: Type.String({ minLength: 1, maxLength: 128, description: 'name of one of the app provider credentials' }),
    token: Type.String({
      minLength: 1,
      maxLength: 4096,
      description: 'the push token; for Web Push the JSON-serialised PushSubscription',
    }),
    kind: Type.Union([Type.Literal('voip'), Type.Literal('alert')], {
      description: 'voip: a PushKit token (rings through CallKit); alert: a regular push token',
    }),
  },
  { additionalProperties: false },
);
