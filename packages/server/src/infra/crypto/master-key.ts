import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export class MasterKeyError extends Error {}

function decode(text: string, origin: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32) throw new MasterKeyError(`${origin} must be the base64 of exactly 32 bytes`);
  return key;
}

/**
 * The master key: from `CALLPUSH_MASTER_KEY` when given, else (embedded default) from `<dataDir>/master.key`,
 * generated on first start with owner-only permissions.
 */
export function loadMasterKey(configured: string | undefined, dataDir: string): Buffer {
  if (configured) return decode(configured, 'CALLPUSH_MASTER_KEY');
  const file = path.join(dataDir, 'master.key');
  if (existsSync(file)) return decode(readFileSync(file, 'utf8'), file);
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  return key;
}
