import { createHmac } from 'node:crypto';

const KID_PATTERN = /^hkdfv1-(\d{4})(\d{2})(\d{2})$/;

/**
 * 9999-12-31T23:59:59Z: the last second a kid's four-digit year can name. A signed NumericDate past it (or
 * before 1970) is refused before it is stamped, since a Date cannot stamp every number.
 */
export const MAX_NUMERIC_DATE = 253_402_300_799;

/** `YYYYMMDD` of a time's UTC date. */
export function utcDateStamp(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().slice(0, 10).replaceAll('-', '');
}

export function kidFor(epochSeconds: number): string {
  return `hkdfv1-${utcDateStamp(epochSeconds)}`;
}

/** The `YYYYMMDD` inside a well-formed `hkdfv1-` kid naming a real calendar date, or undefined. */
export function dateOfKid(kid: unknown): string | undefined {
  if (typeof kid !== 'string') return undefined;
  const m = KID_PATTERN.exec(kid);
  if (!m) return undefined;
  const [, y, mo, d] = m;
  const date = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  return date.getUTCDate() === Number(d) && date.getUTCMonth() === Number(mo) - 1 ? `${y}${mo}${d}` : undefined;
}

/**
 * The per-day signing key: HMAC-SHA256 keyed with the base64-decoded app secret over the ASCII date `YYYYMMDD`
 * (the "hkdfv1" scheme, docs/access-tokens.md).
 */
export function deriveSigningKey(appSecretBase64: string, dateStamp: string): Uint8Array {
  return createHmac('sha256', Buffer.from(appSecretBase64, 'base64')).update(dateStamp, 'utf8').digest();
}
