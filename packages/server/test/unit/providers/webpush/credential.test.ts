import { describe, expect, it } from 'vitest';
import { InvalidInput } from '../../../../src/kernel/index.js';
import {
  checkFormatChoice,
  checkWebPushCredential,
  type WebPushCredential,
} from '../../../../src/providers/webpush/credential.js';
import { webPushCredential } from '../../../support/credentials.js';

const credential = (overrides: Partial<WebPushCredential> = {}): WebPushCredential => ({
  ...webPushCredential(),
  ...overrides,
});

const refusal = (c: WebPushCredential) =>
  checkWebPushCredential(c, {}).then(
    () => undefined,
    (err: unknown) => (err instanceof InvalidInput ? [err.code, err.field] : err),
  );

describe('the Web Push credential format (docs/providers.md#webpush-declarative)', () => {
  it('takes the declarative format with an https navigate URL, and shows both', async () => {
    const view = await checkWebPushCredential(
      credential({ format: 'declarative', navigate: 'https://app.example/calls/{callId}' }),
      {},
    );
    expect(view).toMatchObject({ format: 'declarative', navigate: 'https://app.example/calls/{callId}' });
  });

  it.each([
    ['without navigate', { format: 'declarative' as const }],
    ['with a plain http navigate', { format: 'declarative' as const, navigate: 'http://app.example/' }],
    ['with a relative navigate', { format: 'declarative' as const, navigate: '/calls/{callId}' }],
    ['of the default format with a plain http navigate', { navigate: 'http://app.example/' }],
  ])('refuses one %s, naming navigate', async (_name, fields) => {
    expect(await refusal(credential(fields))).toEqual(['invalid_credential', 'navigate']);
  });

  it('takes navigate on the default format too, for registrations that ask for the declarative one', async () => {
    const view = await checkWebPushCredential(credential({ navigate: 'https://app.example/calls/{callId}' }), {});
    expect(view).toMatchObject({ navigate: 'https://app.example/calls/{callId}' });
    expect(view).not.toHaveProperty('format');
  });
});

describe('a registration format on a Web Push credential', () => {
  const choiceRefusal = (c: WebPushCredential, format: 'declarative' | 'service-worker') => {
    try {
      checkFormatChoice(c, { format });
      return undefined;
    } catch (err) {
      return err instanceof InvalidInput ? [err.code, err.field] : err;
    }
  };

  it('takes declarative only where the credential names the page a click opens', () => {
    const page = { navigate: 'https://app.example/calls/{callId}' };
    expect(choiceRefusal(credential(page), 'declarative')).toBeUndefined();
    expect(choiceRefusal(credential({ format: 'declarative', ...page }), 'declarative')).toBeUndefined();
    expect(choiceRefusal(credential(), 'declarative')).toEqual(['validation_failed', 'format']);
  });

  it('always takes service-worker: any browser with a service worker can show the v1 message', () => {
    const declarative = credential({ format: 'declarative', navigate: 'https://app.example/' });
    expect(choiceRefusal(declarative, 'service-worker')).toBeUndefined();
    expect(choiceRefusal(credential(), 'service-worker')).toBeUndefined();
  });
});
