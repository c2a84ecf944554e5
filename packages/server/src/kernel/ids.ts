import { randomBytes } from 'node:crypto';

/** A new random id with a type prefix (`c_` calls, `d_` deliveries, `n_` nodes): 12 random bytes, base64url. */
export function newId(prefix: string, bytes = 12): string {
  return `${prefix}_${randomBytes(bytes).toString('base64url')}`;
}
