import { createHash, createPublicKey, type KeyObject } from 'node:crypto';

/** A short, stable fingerprint of secret material: enough to tell two keys apart, useless to recover them. */
export function fingerprint(material: string | Buffer): string {
  return `sha256:${createHash('sha256').update(material).digest('hex').slice(0, 32)}`;
}

/** Fingerprint of a private key by its public half, so an owner can match it against the key file. */
export function keyFingerprint(key: KeyObject): string {
  return fingerprint(createPublicKey(key).export({ type: 'spki', format: 'der' }));
}
