import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { badRequest } from '../http/errors.js';

/** A short, stable fingerprint of secret material: enough to tell two keys apart, useless to recover them. */
export function fingerprint(material: string | Buffer): string {
  return `sha256:${createHash('sha256').update(material).digest('hex').slice(0, 32)}`;
}

/** Fingerprint of a private key by its public half, so an owner can match it against the key file. */
export function keyFingerprint(key: KeyObject): string {
  return fingerprint(createPublicKey(key).export({ type: 'spki', format: 'der' }));
}

/** Parses a PEM private key, answering a 400 that names `field` when it is not one of `type`. */
export function parsePrivateKey(pem: string, field: string, type: 'rsa' | 'ec', curve?: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw badRequest('invalid_credential', `${field} is not a PEM private key`, field);
  }
  if (key.asymmetricKeyType !== type) {
    throw badRequest('invalid_credential', `${field} must be an ${type.toUpperCase()} private key`, field);
  }
  if (curve && key.asymmetricKeyDetails?.namedCurve !== curve) {
    throw badRequest('invalid_credential', `${field} must be a ${curve} key`, field);
  }
  return key;
}

export function checkUrl(value: string | undefined, field: string): void {
  if (value === undefined) return;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw badRequest('invalid_credential', `${field} must be an absolute URL`, field);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw badRequest('invalid_credential', `${field} must be an http or https URL`, field);
  }
}
