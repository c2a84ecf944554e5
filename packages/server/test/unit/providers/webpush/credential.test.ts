import { describe, expect, it } from 'vitest';
import { InvalidInput } from '../../../../src/kernel/index.js';
import { checkWebPushCredential, type WebPushCredential } from '../../../../src/providers/webpush/credential.js';
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
    ['navigate without the declarative format', { navigate: 'https://app.example/' }],
  ])('refuses one %s, naming navigate', async (_name, fields) => {
    expect(await refusal(credential(fields))).toEqual(['invalid_credential', 'navigate']);
  });
});
