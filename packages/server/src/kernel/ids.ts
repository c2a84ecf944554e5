import { randomFillSync } from 'node:crypto';

/**
 * Random bytes drawn from the OS a page at a time: a call takes an id for itself and one per delivery, and a
 * `randomBytes` call each was about 2 % of the ring path's CPU. Each id still gets bytes no other id had.
 */
const pool = Buffer.alloc(4096);
let offset = pool.length;

function random(bytes: number): Buffer {
  if (offset + bytes > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  offset += bytes;
  return pool.subarray(offset - bytes, offset);
}

/** A new random id with a type prefix (`c_` calls, `d_` deliveries, `n_` nodes): 12 random bytes, base64url. */
export function newId(prefix: string, bytes = 12): string {
  return `${prefix}_${random(bytes).toString('base64url')}`;
}

/** The longest user or device id. */
export const ID_MAX_LENGTH = 128;
/** What user and device ids may hold: no path, space or control characters, so they are safe in URLs and logs. */
export const ID_PATTERN = '^[A-Za-z0-9._:@+=-]+$';
const ID_REGEX = new RegExp(ID_PATTERN);

/**
 * Whether `value` is a user or device id under the API's rule. Ids that reach the gateway another way than
 * through a request schema (a token minted offline, a webhook) are held to the same rule.
 */
export function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length <= ID_MAX_LENGTH && ID_REGEX.test(value);
}
