import type { PushOutcome } from '../contract.js';

/**
 * What of a provider's answer may reach a delivery's detail, which callers read back: the status, the
 * provider's own code token and fixed words of ours, never free text from a body or header (a Web Push
 * service is whoever the subscription names; an endpoint override is whoever the app names).
 */

const CODE = /^[A-Za-z0-9_.:-]{1,64}$/;
const ID = /^[\x21-\x7e]{1,256}$/;

/** A provider's code (`UNREGISTERED`, `80300007`, `BadDeviceToken`, `invalid_grant`, 1101), or undefined. */
export function providerCode(value: unknown): string | undefined {
  const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  return typeof text === 'string' && CODE.test(text) ? text : undefined;
}

/** A message id (FCM name, HMS requestId, apns-id, Web Push Location) when it is a short printable token. */
export function providerId(value: unknown): string | undefined {
  return typeof value === 'string' && ID.test(value) ? value : undefined;
}

/** A 3xx: never followed (it could point anywhere), and a sign the endpoint is not the provider's. */
export function redirectOutcome(status: number): PushOutcome | undefined {
  if (status < 300 || status >= 400) return undefined;
  return { kind: 'config_error', status, reason: `HTTP ${status} redirect, not followed` };
}
