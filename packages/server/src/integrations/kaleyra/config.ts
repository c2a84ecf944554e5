import { type Static, Type } from 'typebox';
import { fingerprint, type SecretBox } from '#infra/crypto';
import { type Clock, InvalidInput, systemClock } from '#kernel';
import { checkUrl } from '#providers';
import type { KaleyraRepository } from './repository.js';

export const KaleyraConfigSchema = Type.Object(
  {
    secret: Type.String({
      minLength: 16,
      maxLength: 512,
      description: 'signing secret: for `bandyer`, the one configured in Kaleyra; for `standard`, `whsec_<base64>`',
    }),
    scheme: Type.Union([Type.Literal('bandyer'), Type.Literal('standard')], {
      description: '`bandyer-signature: t=…,v0=…` or Standard Webhooks (`webhook-id`/`-timestamp`/`-signature`)',
    }),
    payloadFormat: Type.Union([Type.Literal('callpush'), Type.Literal('kaleyra'), Type.Literal('kaleyra-hybrid')], {
      description:
        'what the devices receive: callpush v1, the webhook as the Kaleyra native SDK expects, or the hybrid bridge shape',
    }),
    credentials: Type.Optional(
      Type.Object(
        {
          baseUrl: Type.String({ minLength: 1, maxLength: 512, description: 'e.g. https://api.eu.bandyer.com' }),
          apiKey: Type.String({ minLength: 1, maxLength: 512, description: 'Kaleyra REST API key' }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export type KaleyraConfig = Static<typeof KaleyraConfigSchema>;
export type PayloadFormat = KaleyraConfig['payloadFormat'];

export const KaleyraConfigViewSchema = Type.Object({
  scheme: Type.String(),
  payloadFormat: Type.String(),
  secretFingerprint: Type.String(),
  credentials: Type.Optional(Type.Object({ baseUrl: Type.String(), apiKeyFingerprint: Type.String() })),
  createdAt: Type.Integer(),
  updatedAt: Type.Integer(),
});

export type KaleyraConfigView = Static<typeof KaleyraConfigViewSchema>;

/** Standard Webhooks secrets are base64 key bytes, optionally prefixed `whsec_`. */
const STANDARD_SECRET = /^(whsec_)?[A-Za-z0-9+/]{16,}={0,2}$/;

async function check(config: KaleyraConfig, settings: KaleyraConfigSettings): Promise<void> {
  if (config.scheme === 'standard' && !STANDARD_SECRET.test(config.secret)) {
    throw new InvalidInput(
      'invalid_webhook_config',
      'a Standard Webhooks secret is whsec_ followed by base64',
      'secret',
    );
  }
  if (config.payloadFormat === 'kaleyra-hybrid' && !config.credentials) {
    throw new InvalidInput(
      'invalid_webhook_config',
      'the kaleyra-hybrid format carries a user token: give the Kaleyra credentials',
      'credentials',
    );
  }
  await checkUrl(config.credentials?.baseUrl, 'credentials.baseUrl', settings);
}

function publicView(config: KaleyraConfig): Omit<KaleyraConfigView, 'createdAt' | 'updatedAt'> {
  return {
    scheme: config.scheme,
    payloadFormat: config.payloadFormat,
    secretFingerprint: fingerprint(config.secret),
    ...(config.credentials
      ? {
          credentials: {
            baseUrl: config.credentials.baseUrl,
            apiKeyFingerprint: fingerprint(config.credentials.apiKey),
          },
        }
      : {}),
  };
}

export interface KaleyraConfigDeps {
  repo: KaleyraRepository;
  box: SecretBox;
  now?: Clock;
}

export interface KaleyraConfigSettings {
  /** CALLPUSH_ALLOW_PRIVATE_ENDPOINTS: the Kaleyra base URL may be plain http and a private address. */
  allowPrivateEndpoints: boolean;
}

/** Per-app Kaleyra webhook configuration; the secret and API key are stored encrypted. */
export class KaleyraConfigStore {
  private readonly changeListeners = new Set<(appKey: string) => void>();
  private readonly now: Clock;

  constructor(
    private readonly deps: KaleyraConfigDeps,
    private readonly settings: KaleyraConfigSettings,
  ) {
    this.now = deps.now ?? systemClock;
  }

  async put(appKey: string, config: KaleyraConfig): Promise<{ view: KaleyraConfigView; created: boolean }> {
    await check(config, this.settings);
    const now = this.now();
    const view = publicView(config);
    const { created, createdAt } = await this.deps.repo.putConfig(
      appKey,
      {
        scheme: config.scheme,
        payload_format: config.payloadFormat,
        config_enc: this.deps.box.seal(JSON.stringify(config)),
        public_json: JSON.stringify(view),
      },
      now,
    );
    for (const listener of this.changeListeners) listener(appKey);
    return { view: { ...view, createdAt, updatedAt: now }, created };
  }

  async view(appKey: string): Promise<KaleyraConfigView | undefined> {
    const row = await this.deps.repo.publicConfig(appKey);
    return row && { ...JSON.parse(row.public_json), createdAt: row.created_at, updatedAt: row.updated_at };
  }

  /** The whole configuration, secrets decrypted: for verifying webhooks and fetching user tokens. */
  async load(appKey: string): Promise<KaleyraConfig | undefined> {
    const sealed = await this.deps.repo.sealedConfig(appKey);
    return sealed === undefined ? undefined : (JSON.parse(this.deps.box.open(sealed)) as KaleyraConfig);
  }

  /** Called after a configuration is replaced, so cached credentials and tokens are dropped. */
  onChange(listener: (appKey: string) => void): void {
    this.changeListeners.add(listener);
  }
}
