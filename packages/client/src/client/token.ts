/** Returns a callpush user access token for `userId`, minted by the app's backend. */
export type AccessTokenProvider = (userId: string) => Promise<string>;

/** How long before expiry a token is replaced (at most half its lifetime, so a short-lived one is used too). */
const REFRESH_MARGIN_MS = 60_000;

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Base64url to a binary string; by hand because `atob` is missing on older React Native engines. */
function decodeBase64Url(text: string): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const ch of text) {
    const index = BASE64URL.indexOf(ch);
    if (index < 0) throw new Error('not base64url');
    value = (value << 6) | index;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += String.fromCharCode((value >> bits) & 0xff);
    }
  }
  return out;
}

/**
 * The epoch ms at which a compact JWT should be replaced, from its `exp` (and `iat`) claims, read without
 * verification (only the gateway can verify it); undefined when the token does not say.
 */
export function refreshAt(token: string): number | undefined {
  try {
    // Non-ASCII bytes come out as Latin-1 characters, which cannot disturb the numeric claims read here.
    const claims: unknown = JSON.parse(decodeBase64Url(token.split('.')[1] ?? ''));
    const { exp, iat } = claims as { exp?: unknown; iat?: unknown };
    if (typeof exp !== 'number') return undefined;
    const lifetime = typeof iat === 'number' && iat < exp ? (exp - iat) * 1000 : Number.POSITIVE_INFINITY;
    return exp * 1000 - Math.min(REFRESH_MARGIN_MS, lifetime / 2);
  } catch {
    return undefined;
  }
}

/** The current user token: asks the provider when there is none, it is near expiry or the gateway refused it. */
export class TokenSource {
  private current: { token: string; refreshAt: number | undefined } | undefined;
  private pending: Promise<string> | undefined;
  /** Bumped by `close()` so that a provider answer arriving afterwards is dropped. */
  private generation = 0;

  constructor(
    readonly userId: string,
    private readonly provider: AccessTokenProvider,
  ) {}

  /** A token to use now: the cached one unless it is due for refresh. */
  get(): Promise<string> {
    const c = this.current;
    if (c && (c.refreshAt === undefined || Date.now() < c.refreshAt)) return Promise.resolve(c.token);
    return this.refresh();
  }

  /** A fresh token from the provider; concurrent callers share one provider call. */
  refresh(): Promise<string> {
    if (this.pending) return this.pending;
    const generation = this.generation;
    const pending = this.ask(generation).finally(() => {
      if (this.pending === pending) this.pending = undefined;
    });
    this.pending = pending;
    return pending;
  }

  private async ask(generation: number): Promise<string> {
    const token = await this.provider(this.userId);
    if (typeof token !== 'string' || token === '') throw new Error('the access token provider returned no token');
    if (generation === this.generation) this.current = { token, refreshAt: refreshAt(token) };
    return token;
  }

  /** The gateway refused `token`: the next `get()` asks the provider, unless a newer token is already here. */
  refused(token: string): void {
    if (this.current?.token === token) this.current = undefined;
  }

  close(): void {
    this.generation++;
    this.current = undefined;
    this.pending = undefined;
  }
}
