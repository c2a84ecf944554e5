import { createHash } from 'node:crypto';
import { InvalidInput } from '#kernel';

/** Where a page of the history ended: the last call shown, in the list's order (newest first, then by id). */
export interface Position {
  createdAt: number;
  id: string;
}

/** Longest cursor this module writes, with room to spare: anything longer was not written here. */
export const CURSOR_MAX_LENGTH = 512;

/**
 * The check binds a cursor to the query it came from (the app, the filters): a cursor edited by hand or reused
 * with other filters is refused rather than answered with a page of another list. It is no secret: a forged
 * cursor gains nothing, every page is still filtered by the caller's app and user.
 */
const checkOf = (p: Position, query: string) =>
  createHash('sha256').update(`${p.createdAt}\u0000${p.id}\u0000${query}`).digest('base64url').slice(0, 11);

/** An opaque cursor for the page after `p` of the list `query` names (any string that tells queries apart). */
export function encodeCursor(p: Position, query: string): string {
  return Buffer.from(JSON.stringify([p.createdAt, p.id, checkOf(p, query)])).toString('base64url');
}

/** The position a cursor of `query` holds; InvalidInput (`cursor`) when it is not one this module wrote for it. */
export function decodeCursor(cursor: string, query: string): Position {
  const refuse = () =>
    new InvalidInput('validation_failed', 'cursor is not a cursor of this list: pass `next` as it came', 'cursor');
  if (cursor.length > CURSOR_MAX_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw refuse();
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw refuse();
  }
  if (!Array.isArray(parts) || parts.length !== 3) throw refuse();
  const [createdAt, id, check] = parts as unknown[];
  if (!Number.isSafeInteger(createdAt) || (createdAt as number) < 0 || typeof id !== 'string') throw refuse();
  const p = { createdAt: createdAt as number, id };
  if (check !== checkOf(p, query)) throw refuse();
  return p;
}
