import { createPrivateKey, type KeyObject } from 'node:crypto';
import { resolvedUrlRefusal } from '#infra/net';
import { InvalidInput } from '#kernel';
import type { EndpointSettings } from '../contract.js';

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

/**
 * Refuses (naming `field`) a credential URL that is not absolute or that the endpoint policy refuses: https to
 * a public address, or with the operator's `allowPrivateEndpoints` any http(s) URL. The host is resolved now
 * for a clear answer; every connection checks again. Undefined passes.
 */
export async function checkUrl(value: string | undefined, field: string, settings: EndpointSettings): Promise<void> {
  if (value === undefined) return;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidInput('invalid_credential', `${field} must be an absolute URL`, field);
  }
  const refusal = await resolvedUrlRefusal(url, settings.allowPrivateEndpoints ?? false);
  if (refusal) throw new InvalidInput('endpoint_not_allowed', `${field} ${refusal}`, field);
}
