import type { Call, Delivery, RingPayloads } from '#domain/calls';
import { HttpClient } from '#infra/net';
import { type Clock, NotFound, systemClock } from '#kernel';
import type { KaleyraConfigStore, PayloadFormat } from './config.js';
import { KALEYRA_CALL_PREFIX } from './events.js';
import { kaleyraData, kaleyraHybridData } from './payload-formats.js';
import type { KaleyraRepository } from './repository.js';
import { KaleyraUserTokens } from './user-tokens.js';

/** The formats whose data map replaces the v1 message. */
export type KaleyraFormat = Exclude<PayloadFormat, 'callpush'>;

export interface KaleyraPayloadsDeps {
  repo: KaleyraRepository;
  configs: KaleyraConfigStore;
  now?: Clock;
}

export interface KaleyraPayloadsSettings {
  /** Extra CA (PEM) for the Kaleyra credentials endpoint, as for the providers. */
  ca?: string;
  /** CALLPUSH_ALLOW_PRIVATE_ENDPOINTS: the credentials endpoint may be plain http and a private address. */
  allowPrivateEndpoints?: boolean;
}

/**
 * The ring payload of a call placed from a Kaleyra webhook, in the app's Kaleyra format (docs/kaleyra.md):
 * what the dispatcher sends instead of the v1 message. Needs nothing of the calls themselves, so it is built
 * before the dispatcher that asks it.
 */
export class KaleyraPayloads implements RingPayloads {
  private readonly tokens = new Map<string, Promise<KaleyraUserTokens>>();
  private readonly http: HttpClient;
  private readonly now: Clock;

  constructor(
    private readonly deps: KaleyraPayloadsDeps,
    settings: KaleyraPayloadsSettings = {},
  ) {
    this.now = deps.now ?? systemClock;
    this.http = new HttpClient({ ca: settings.ca, allowPrivate: settings.allowPrivateEndpoints });
    deps.configs.onChange((appKey) => this.tokens.delete(appKey));
  }

  /**
   * The data map of a ring in the app's Kaleyra format, or undefined for the v1 message. The format is the
   * one configured when the webhook arrived, so a resumed ring looks like the first.
   */
  async payloadFor(call: Call, delivery: Delivery): Promise<Record<string, string> | undefined> {
    // Keeps the ring path of every other call free of this lookup.
    if (!call.id.startsWith(KALEYRA_CALL_PREFIX)) return undefined;
    const row = await this.deps.repo.findCall(call.id);
    if (!row || row.payload_format === 'callpush') return undefined;
    return this.dataFor(call.appKey, row.payload_format as KaleyraFormat, row.event, row.body, delivery.userId);
  }

  /** The data map of a webhook (`event`, its `body` as received) for `userId`, in a Kaleyra format. */
  async dataFor(
    appKey: string,
    format: KaleyraFormat,
    event: string,
    body: string,
    userId: string,
  ): Promise<Record<string, string>> {
    if (format === 'kaleyra') return kaleyraData(event, body);
    return kaleyraHybridData(body, await (await this.userTokens(appKey)).tokenFor(userId));
  }

  /** One token client per app, shared by concurrent sends (a promise, so they never build two). */
  private userTokens(appKey: string): Promise<KaleyraUserTokens> {
    let tokens = this.tokens.get(appKey);
    if (!tokens) {
      tokens = this.deps.configs.load(appKey).then((config) => {
        if (!config?.credentials) {
          throw new NotFound('kaleyra_credentials_missing', 'no Kaleyra credentials configured');
        }
        return new KaleyraUserTokens(config.credentials, this.http, this.now);
      });
      // A failed lookup is not cached: the next send tries again.
      tokens.catch(() => this.tokens.delete(appKey));
      this.tokens.set(appKey, tokens);
    }
    return tokens;
  }

  close(): void {
    this.http.close();
  }
}
