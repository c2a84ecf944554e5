import { createECDH, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvalidInput } from '../../../src/kernel/errors.js';
import type { EndpointSettings } from '../../../src/providers/contract.js';
import {
  checkPushToken,
  PROVIDER_TYPES,
  PROVIDERS,
  type ProviderCredential,
  ProviderCredentialSchema,
  type ProviderType,
  providerModule,
} from '../../../src/providers/registry.js';

/** Only a Web Push check reads its credential (the origins it lists); the other fields never matter here. */
const credentialOf = (type: ProviderType, allowedOrigins?: string[]) =>
  ({ type, ...(allowedOrigins ? { allowedOrigins } : {}) }) as ProviderCredential;

async function refusalOf(
  type: ProviderType,
  token: string,
  allowedOrigins?: string[],
  settings: EndpointSettings = { allowPrivateEndpoints: true },
): Promise<InvalidInput | undefined> {
  try {
    await checkPushToken(credentialOf(type, allowedOrigins), token, settings);
  } catch (err) {
    if (err instanceof InvalidInput) return err;
    throw err;
  }
  return undefined;
}

const subscription = (overrides: Record<string, unknown> = {}, keys: Record<string, unknown> = {}) =>
  JSON.stringify({
    endpoint: 'https://push.example.net/push/abc',
    expirationTime: null,
    keys: {
      p256dh: createECDH('prime256v1').generateKeys().toString('base64url'),
      auth: randomBytes(16).toString('base64url'),
      ...keys,
    },
    ...overrides,
  });

describe('the provider registry', () => {
  it('knows the four providers of docs/providers.md, each once', () => {
    expect([...PROVIDER_TYPES].sort()).toEqual(['apns', 'fcm', 'hms', 'webpush']);
  });

  it('finds each module by its type, and nothing for a type it does not know', () => {
    for (const type of PROVIDER_TYPES) expect(providerModule(type)?.type).toBe(type);
    expect(providerModule('mpns')).toBeUndefined();
  });

  it('the credential schema has one branch per module, each fixed to its type for the discriminator', () => {
    const schema = ProviderCredentialSchema as unknown as {
      oneOf: Array<{ properties: { type: { const?: unknown } } }>;
      discriminator: unknown;
    };
    expect(schema.oneOf).toHaveLength(PROVIDERS.length);
    expect(schema.oneOf.map((b) => b.properties.type.const)).toEqual(PROVIDERS.map((m) => m.type));
    expect(schema.discriminator).toEqual({ propertyName: 'type' });
  });
});

describe('checkPushToken', () => {
  const accepted: Array<[ProviderType, string, string]> = [
    ['fcm', 'an FCM registration token', 'dGVzdA:APA91bH-x_y.z~'],
    ['hms', 'an HMS token', '0861234567890123456789012345678901234567890'],
    ['apns', '64 hex digits', 'ab'.repeat(32)],
    ['apns', '200 hex digits in either case', 'aB'.repeat(100)],
    ['webpush', 'a PushSubscription as JSON', subscription()],
  ];

  it.each(accepted)('%s accepts %s', async (type, _name, token) => {
    expect(await refusalOf(type, token)).toBeUndefined();
  });

  const refused: Array<[ProviderType, string, string, string]> = [
    ['fcm', 'a token with a space', 'abc def', 'token'],
    ['fcm', 'an empty token', '', 'token'],
    ['fcm', 'a token with a control character', 'abc\ndef', 'token'],
    ['fcm', 'non-ASCII', 'tökén', 'token'],
    ['fcm', 'a token over 4096 bytes', 'a'.repeat(4097), 'token'],
    ['hms', 'a token with a space', 'abc def', 'token'],
    ['apns', '63 hex digits', 'a'.repeat(63), 'token'],
    ['apns', '201 hex digits', 'a'.repeat(201), 'token'],
    ['apns', 'a non-hex digit', `${'a'.repeat(63)}g`, 'token'],
    ['apns', 'a token with angle brackets (NSData description)', `<${'ab'.repeat(32)}>`, 'token'],
    ['webpush', 'text that is not JSON', 'https://push.example.net/push/abc', 'token'],
    ['webpush', 'JSON null', 'null', 'token.endpoint'],
    ['webpush', 'no endpoint', subscription({ endpoint: undefined }), 'token.endpoint'],
    ['webpush', 'a non-http endpoint', subscription({ endpoint: 'ftp://push.example.net/x' }), 'token.endpoint'],
    ['webpush', 'an endpoint that is not a URL', subscription({ endpoint: 'https://' }), 'token.endpoint'],
    ['webpush', 'no keys', subscription({ keys: undefined }), 'token.keys.p256dh'],
    [
      'webpush',
      'a compressed p256dh',
      subscription({}, { p256dh: Buffer.alloc(33, 2).toString('base64url') }),
      'token.keys.p256dh',
    ],
    [
      'webpush',
      'a 65-byte p256dh without the 0x04 prefix',
      subscription({}, { p256dh: Buffer.alloc(65, 7).toString('base64url') }),
      'token.keys.p256dh',
    ],
    [
      'webpush',
      'a 15-byte auth secret',
      subscription({}, { auth: randomBytes(15).toString('base64url') }),
      'token.keys.auth',
    ],
    ['webpush', 'an auth secret that is not a string', subscription({}, { auth: 16 }), 'token.keys.auth'],
    ['webpush', 'a token over 4096 bytes', subscription({ pad: 'x'.repeat(4096) }), 'token'],
  ];

  it.each(refused)('%s refuses %s (invalid_token, field %s)', async (type, _name, token, field) => {
    const err = await refusalOf(type, token);
    expect(err).toBeInstanceOf(InvalidInput);
    expect(err?.code).toBe('invalid_token');
    expect(err?.field).toBe(field);
  });
});

describe('checkPushToken: the endpoint policy for Web Push subscriptions (docs/security.md)', () => {
  const at = (endpoint: string) => subscription({ endpoint });

  it('refuses plain http and private addresses, even where the operator allows private endpoints', async () => {
    for (const endpoint of ['http://push.example.net/push/1', 'https://127.0.0.1:8443/push/1', 'https://[::1]/p']) {
      const err = await refusalOf('webpush', at(endpoint));
      expect([err?.code, err?.field], endpoint).toEqual(['endpoint_not_allowed', 'token.endpoint']);
    }
  });

  it('accepts them on an origin the credential lists, only where the operator allows private endpoints', async () => {
    const origin = 'http://127.0.0.1:8080';
    expect(await refusalOf('webpush', at(`${origin}/push/1`), [origin])).toBeUndefined();
    const off = await refusalOf('webpush', at(`${origin}/push/1`), [origin], { allowPrivateEndpoints: false });
    expect(off?.code).toBe('endpoint_not_allowed');
    // Another port is another origin.
    expect((await refusalOf('webpush', at('http://127.0.0.1:8081/push/1'), [origin]))?.code).toBe(
      'endpoint_not_allowed',
    );
  });

  it('with an operator list of push service hosts, accepts those hosts (and *. subdomains) only', async () => {
    const settings = { webPushHosts: ['fcm.googleapis.com', '*.notify.windows.com'] };
    const check = (endpoint: string) => refusalOf('webpush', at(endpoint), undefined, settings);
    expect(await check('https://fcm.googleapis.com/fcm/send/x')).toBeUndefined();
    expect(await check('https://wns2-par02p.notify.windows.com/w/?token=x')).toBeUndefined();
    for (const endpoint of ['https://notify.windows.com/w', 'https://evilfcm.googleapis.com.example/x']) {
      expect((await check(endpoint))?.message, endpoint).toBe(
        'token.endpoint is not on a push service host this gateway allows',
      );
    }
  });
});
