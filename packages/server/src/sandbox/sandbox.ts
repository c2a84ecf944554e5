import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AppsService } from '../apps/index.js';

/** What `<dataDir>/sandbox.json` holds: everything a new user needs to try the gateway. */
export interface SandboxInfo {
  baseUrl: string;
  adminToken: string;
  appKey: string;
  appSecret: string;
}

export const SANDBOX_FILE = 'sandbox.json';

function readPrevious(file: string): Partial<SandboxInfo> {
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Partial<SandboxInfo>;
  } catch {
    return {};
  }
}

/**
 * Sets up the sandbox: reuses the admin token and app of an earlier start when the app still exists,
 * else creates them, and (re)writes sandbox.json with owner-only permissions.
 */
export async function prepareSandbox(apps: AppsService, dataDir: string, baseUrl: string): Promise<SandboxInfo> {
  const file = path.join(dataDir, SANDBOX_FILE);
  const previous = readPrevious(file);
  const adminToken = previous.adminToken ?? randomBytes(24).toString('base64url');
  let appKey = previous.appKey;
  let appSecret = previous.appKey ? await apps.secretOf(previous.appKey) : undefined;
  if (!appKey || appSecret === undefined) {
    const created = await apps.create('sandbox');
    appKey = created.key;
    appSecret = created.secret;
  }
  const info: SandboxInfo = { baseUrl, adminToken, appKey, appSecret };
  writeFileSync(file, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  return info;
}
