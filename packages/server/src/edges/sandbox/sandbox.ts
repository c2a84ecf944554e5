import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AppsService } from '#domain/apps';

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
 * Sets up the sandbox: reuses the admin token and app of an earlier start (from sandbox.json) when the app
 * still exists, else creates them.
 */
export async function prepareSandbox(apps: AppsService, dataDir: string): Promise<Omit<SandboxInfo, 'baseUrl'>> {
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
  return { adminToken, appKey, appSecret };
}

/** Writes sandbox.json (owner-only: it holds the admin token and the app secret). */
export function writeSandboxFile(dataDir: string, content: SandboxInfo & Record<string, unknown>): void {
  writeFileSync(path.join(dataDir, SANDBOX_FILE), `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
}
