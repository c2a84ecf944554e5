import { createPrivateKey, type KeyObject } from 'node:crypto';
import { InvalidInput } from '#kernel';

/** Parses a PEM private key, refusing (naming `field`) one that is not of `type` (and `curve`). */
export function parsePrivateKey(pem: string, field: string, type: 'rsa' | 'ec', curve?: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new InvalidInput('invalid_credential', `${field} is not a PEM private key`, field);
  }
  if (key.asymmetricKeyType !== type) {
    throw new InvalidInput('invalid_credential', `${field} must be an ${type.toUpperCase()} private key`, field);
  }
  if (curve && key.asymmetricKeyDetails?.namedCurve !== curve) {
    throw new InvalidInput('invalid_credential', `${field} must be a ${curve} key`, field);
  }
  return key;
}

/** Refuses (naming `field`) a value that is not an absolute http(s) URL; undefined passes. */
export function checkUrl(value: string | undefined, field: string): void {
  if (value === undefined) return;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidInput('invalid_credential', `${field} must be an absolute URL`, field);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InvalidInput('invalid_credential', `${field} must be an http or https URL`, field);
  }
}
