import { createECDH } from 'node:crypto';
import { type Static, Type } from 'typebox';
import { fingerprint } from '#infra/crypto';
import { InvalidInput } from '#kernel';
import type { EndpointSettings, RegistrationChoices } from '../contract.js';
import { checkUrl } from '../kit/index.js';
import { CALL_ID_PLACEHOLDER } from './declarative.js';

const BASE64URL = '^[A-Za-z0-9_-]+={0,2}$';

export const WebPushCredentialSchema = Type.Object(
  {
    type: Type.Literal('webpush'),
    vapidPublicKey: Type.String({
      pattern: BASE64URL,
      maxLength: 200,
      description: 'uncompressed P-256 point, base64url',
    }),
    vapidPrivateKey: Type.String({
      pattern: BASE64URL,
      maxLength: 100,
      description: '32-byte P-256 scalar, base64url',
    }),
    subject: Type.String({ minLength: 1, maxLength: 512, description: 'mailto: or https: contact of the sender' }),
    endpoint: Type.Optional(Type.String({ maxLength: 2048, description: 'push service origin override (emulators)' })),
    format: Type.Optional(
      Type.Union([Type.Literal('service-worker'), Type.Literal('declarative')], {
        description:
          'service-worker (default): the v1 message, for the page service worker to show; declarative: a declarative ' +
          'push message the browser shows by itself (Safari 18.4+), the v1 message in its data',
      }),
    ),
    navigate: Type.Optional(
      Type.String({
        maxLength: 2048,
        description:
          `the https URL a click on a declarative notification opens; ${CALL_ID_PLACEHOLDER} is replaced by the call id. ` +
          'Needed by the declarative format, the credential one or a registration one',
      }),
    ),
    allowedOrigins: Type.Optional(
      Type.Array(Type.String({ maxLength: 2048 }), {
        maxItems: 16,
        description:
          'push service origins (scheme://host[:port]) whose subscriptions may be plain http or private addresses, ' +
          'e.g. an emulator; honoured only where the operator sets CALLPUSH_ALLOW_PRIVATE_ENDPOINTS',
      }),
    ),
  },
  { additionalProperties: false, title: 'Web Push credential' },
);
export type WebPushCredential = Static<typeof WebPushCredentialSchema>;

export async function checkWebPushCredential(
  c: WebPushCredential,
  settings: EndpointSettings,
): Promise<Record<string, unknown>> {
  const publicKey = Buffer.from(c.vapidPublicKey, 'base64url');
  const privateKey = Buffer.from(c.vapidPrivateKey, 'base64url');
  if (publicKey.length !== 65 || publicKey[0] !== 0x04) {
    throw new InvalidInput(
      'invalid_credential',
      'vapidPublicKey must be a 65-byte uncompressed P-256 point',
      'vapidPublicKey',
    );
  }
  if (privateKey.length !== 32) {
    throw new InvalidInput('invalid_credential', 'vapidPrivateKey must be 32 bytes', 'vapidPrivateKey');
  }
  const ecdh = createECDH('prime256v1');
  try {
    ecdh.setPrivateKey(privateKey);
  } catch {
    throw new InvalidInput('invalid_credential', 'vapidPrivateKey is not a valid P-256 key', 'vapidPrivateKey');
  }
  if (!ecdh.getPublicKey().equals(publicKey)) {
    throw new InvalidInput('invalid_credential', 'vapidPrivateKey does not match vapidPublicKey', 'vapidPrivateKey');
  }
  if (!/^(mailto:|https:\/\/)/.test(c.subject)) {
    throw new InvalidInput('invalid_credential', 'subject must be a mailto: or https: URL', 'subject');
  }
  await checkUrl(c.endpoint, 'endpoint', settings);
  checkNavigate(c);
  for (const [i, origin] of (c.allowedOrigins ?? []).entries()) {
    const field = `allowedOrigins.${i}`;
    if (!URL.canParse(origin) || new URL(origin).origin !== origin) {
      throw new InvalidInput('invalid_credential', `${field} must be an origin, scheme://host[:port]`, field);
    }
    await checkUrl(origin, field, settings);
  }
  return {
    vapidPublicKey: c.vapidPublicKey,
    subject: c.subject,
    vapidPrivateKeyFingerprint: fingerprint(privateKey),
    ...(c.endpoint ? { endpoint: c.endpoint } : {}),
    ...(c.format ? { format: c.format } : {}),
    ...(c.navigate ? { navigate: c.navigate } : {}),
    ...(c.allowedOrigins ? { allowedOrigins: c.allowedOrigins } : {}),
  };
}

/**
 * A declarative notification must name the page a click opens, or the browser does not take it as one. It is
 * the browser that opens it, never the gateway, so the endpoint policy has no say; only https is taken, since
 * a push subscription exists only on a secure page. A credential of the default format may name it too, for
 * the registrations that ask for the declarative format themselves.
 */
function checkNavigate(c: WebPushCredential): void {
  if (c.navigate === undefined) {
    if (c.format === 'declarative') {
      throw new InvalidInput('invalid_credential', 'the declarative format needs navigate, an https URL', 'navigate');
    }
    return;
  }
  const url = c.navigate.replaceAll(CALL_ID_PLACEHOLDER, 'c');
  if (!URL.canParse(url) || new URL(url).protocol !== 'https:') {
    throw new InvalidInput('invalid_credential', 'navigate must be an https URL', 'navigate');
  }
}

/**
 * A registration may ask for the declarative format on a credential of the default one, but only when the
 * credential names the page a click opens: without it no declarative notification can be built.
 */
export function checkFormatChoice(c: WebPushCredential, choices: RegistrationChoices): void {
  if (choices.format === 'declarative' && c.navigate === undefined) {
    throw new InvalidInput(
      'validation_failed',
      'format declarative needs a credential with navigate (the page a click opens), which this one has not',
      'format',
    );
  }
}
