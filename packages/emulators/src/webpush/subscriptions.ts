import { createECDH, randomBytes } from 'node:crypto';
import type { UaKeys } from './ece.js';
import { p256PublicKey } from './vapid.js';

/** A subscription as a browser serialises it (`PushSubscription.toJSON()`), what application servers store. */
export interface PushSubscriptionJson {
  endpoint: string;
  expirationTime: null;
  keys: { p256dh: string; auth: string };
}

/** An issued subscription, with its id: the token for behaviours and the message filter. */
export interface IssuedSubscription extends PushSubscriptionJson {
  id: string;
}

export interface SubscribeOptions {
  /**
   * The application server's VAPID public key (base64url uncompressed P-256 point), as passed to
   * `pushManager.subscribe()`. The subscription then accepts only messages signed with that key.
   */
  applicationServerKey?: string | undefined;
}

export interface StoredSubscription {
  id: string;
  keys: UaKeys;
  applicationServerKey?: Buffer;
  /** Unsubscribed: the push service answers 410 from now on. */
  gone: boolean;
}

export class InvalidApplicationServerKeyError extends Error {}

/** The push service's side of subscriptions: issues them and keeps the private keys to decrypt with. */
export class SubscriptionStore {
  private readonly byId = new Map<string, StoredSubscription>();

  /** Issues a subscription whose endpoint is `{baseUrl}/push/{id}`. */
  create(baseUrl: string, options: SubscribeOptions = {}): IssuedSubscription {
    let applicationServerKey: Buffer | undefined;
    if (options.applicationServerKey !== undefined) {
      applicationServerKey = Buffer.from(options.applicationServerKey, 'base64url');
      if (!p256PublicKey(applicationServerKey)) {
        throw new InvalidApplicationServerKeyError('applicationServerKey must be a base64url uncompressed P-256 point');
      }
    }
    const ecdh = createECDH('prime256v1');
    const publicKey = ecdh.generateKeys();
    const keys: UaKeys = { privateKey: ecdh.getPrivateKey(), publicKey, authSecret: randomBytes(16) };
    const id = randomBytes(24).toString('base64url');
    this.byId.set(id, { id, keys, ...(applicationServerKey ? { applicationServerKey } : {}), gone: false });
    return {
      id,
      endpoint: `${baseUrl}/push/${id}`,
      expirationTime: null,
      keys: { p256dh: publicKey.toString('base64url'), auth: keys.authSecret.toString('base64url') },
    };
  }

  get(id: string): StoredSubscription | undefined {
    return this.byId.get(id);
  }

  /** Marks a subscription gone (the user unsubscribed); false when there is no such subscription. */
  unsubscribe(id: string): boolean {
    const subscription = this.byId.get(id);
    if (!subscription) return false;
    subscription.gone = true;
    return true;
  }
}
