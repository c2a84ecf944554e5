import { createPublicKey, generateKeyPairSync, type KeyObject, randomInt } from 'node:crypto';
import { verifyEs256Jwt } from '../core/jwt.js';
import { ApnsRejection } from './reasons.js';

/** A token-signing key as Apple hands it out: the `.p8` (PKCS#8 PEM, EC P-256) with its key id and team id. */
export interface ProviderKey {
  teamId: string;
  keyId: string;
  privateKey: string;
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A random 10-character identifier shaped like Apple's team and key ids. */
export function appleId(): string {
  return Array.from({ length: 10 }, () => ID_ALPHABET[randomInt(ID_ALPHABET.length)]).join('');
}

/** The keys the emulator accepts provider tokens from, by key id. */
export class ProviderKeyRing {
  private readonly keys = new Map<string, { teamId: string; publicKey: KeyObject }>();

  /** Generates a key for `teamId` (random ids by default) and returns what a provider configures. */
  add(teamId = appleId(), keyId = appleId()): ProviderKey {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return this.adopt({ teamId, keyId, privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() });
  }

  /** Accepts tokens signed with an existing key (one of another emulator: Apple's hosts share an account's keys). */
  adopt(key: ProviderKey): ProviderKey {
    if (this.keys.has(key.keyId)) throw new Error(`APNs key id ${key.keyId} already exists`);
    this.keys.set(key.keyId, { teamId: key.teamId, publicKey: createPublicKey(key.privateKey) });
    return key;
  }

  get(keyId: string): { teamId: string; publicKey: KeyObject } | undefined {
    return this.keys.get(keyId);
  }
}

/** Apple rejects a token whose `iat` is more than an hour old (docs/providers.md#apns-provider-token). */
const MAX_TOKEN_AGE_MS = 3_600_000;
/** ...and a connection whose token changes again within 20 minutes. */
const MIN_TOKEN_LIFETIME_MS = 20 * 60_000;

interface AdoptedToken {
  token: string;
  keyId: string;
  issuedAtMs: number;
}

/**
 * The provider-token state of one HTTP/2 connection. APNs binds a connection to the first key it sees
 * (another key: UnrelatedKeyIdInToken), verifies a token once and then only ages it, and counts a token
 * change within 20 minutes of the previous one as abuse: 429 TooManyProviderTokenUpdates, after which the
 * connection stays refused until the client opens a new one. A token APNs has just refused as expired may be
 * replaced at once, which is exactly the refresh it asks for.
 */
export class ConnectionAuth {
  private current?: AdoptedToken;
  private replaceableAt = 0;
  private blocked = false;

  constructor(
    private readonly keys: ProviderKeyRing,
    private readonly now: () => number,
  ) {}

  /** Checks the `authorization` header of one request; throws the ApnsRejection APNs would answer. */
  async authorize(authorization: string | undefined): Promise<void> {
    if (this.blocked) throw new ApnsRejection('TooManyProviderTokenUpdates');
    const token = /^bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    if (token === undefined) throw new ApnsRejection('MissingProviderToken');
    const adopted = token === this.current?.token ? this.current : await this.adopt(token);
    if (this.now() - adopted.issuedAtMs > MAX_TOKEN_AGE_MS) {
      if (adopted === this.current) this.expire();
      throw new ApnsRejection('ExpiredProviderToken');
    }
  }

  /** Lets the next request replace the token immediately (after an ExpiredProviderToken answer). */
  expire(): void {
    this.replaceableAt = 0;
  }

  private async adopt(token: string): Promise<AdoptedToken> {
    const candidate = await verifyProviderToken(token, this.keys);
    // Concurrent streams carrying the same new token: the first one to finish verifying adopted it.
    if (token === this.current?.token) return this.current;
    if (this.now() - candidate.issuedAtMs > MAX_TOKEN_AGE_MS) return candidate;
    if (this.current && candidate.keyId !== this.current.keyId) throw new ApnsRejection('UnrelatedKeyIdInToken');
    if (this.current && this.now() < this.replaceableAt) {
      this.blocked = true;
      throw new ApnsRejection('TooManyProviderTokenUpdates');
    }
    this.current = candidate;
    this.replaceableAt = this.now() + MIN_TOKEN_LIFETIME_MS;
    return candidate;
  }
}

/** Verifies signature, `kid`, `iss` and the presence of `iat`; age is the caller's business. */
async function verifyProviderToken(token: string, keys: ProviderKeyRing): Promise<AdoptedToken> {
  let keyId = '';
  const verified = await verifyEs256Jwt(token, (header) => {
    keyId = header.kid ?? '';
    return keys.get(keyId)?.publicKey;
  });
  const { iss, iat } = verified?.claims ?? {};
  if (!verified || iss !== keys.get(keyId)?.teamId || typeof iat !== 'number') {
    throw new ApnsRejection('InvalidProviderToken');
  }
  return { token, keyId, issuedAtMs: iat * 1000 };
}
