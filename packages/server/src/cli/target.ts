import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type CallpushClient, createCallpush } from '@callpush/sdk';
import { SANDBOX_FILE, type SandboxInfo } from '#edges/sandbox';
import { type OptionSpec, SERVE_OPTIONS } from '#infra/config';
import { explain } from './failures.js';

/** Which gateway a client command talks to, and as which app. */
export interface Target {
  baseUrl: string;
  appKey: string;
  appSecret: string;
}

/** The flags every client command takes. */
export interface TargetFlags {
  baseUrl?: string;
  appKey?: string;
  appSecret?: string;
  dataDir?: string;
}

/** `callpush serve`'s data folder option, whose default is where the sandbox file is looked for. */
const DATA_DIR: OptionSpec = SERVE_OPTIONS.find((o) => o.env === 'CALLPUSH_DATA_DIR')!;

/** The sandbox file of a data folder, if there is a readable one. */
function readSandbox(dataDir: string): Partial<SandboxInfo> | undefined {
  const file = path.join(dataDir, SANDBOX_FILE);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Partial<SandboxInfo>;
  } catch (err) {
    throw new Error(`${file} cannot be read: ${(err as Error).message}`);
  }
}

/**
 * Each setting from its flag, else its environment variable, else the sandbox's `sandbox.json` (in
 * `--data-dir`, `CALLPUSH_DATA_DIR` or ./.callpush), which `callpush serve` writes when it runs the sandbox.
 */
export function resolveTarget(flags: TargetFlags, env: NodeJS.ProcessEnv = process.env): Target {
  const dataDir = flags.dataDir ?? env.CALLPUSH_DATA_DIR ?? DATA_DIR.default!;
  const sandbox = readSandbox(dataDir);
  const appKey = flags.appKey ?? env.CALLPUSH_APP_KEY ?? sandbox?.appKey;
  const appSecret = flags.appSecret ?? env.CALLPUSH_APP_SECRET ?? sandbox?.appSecret;
  if (!appKey || !appSecret) {
    throw new Error(
      `no app credentials: give --app-key and --app-secret (or CALLPUSH_APP_KEY and CALLPUSH_APP_SECRET), ` +
        `or start the sandbox (npm start), which writes them to ${path.join(dataDir, SANDBOX_FILE)}`,
    );
  }
  const baseUrl = flags.baseUrl ?? env.CALLPUSH_BASE_URL ?? sandbox?.baseUrl ?? 'http://127.0.0.1:8080';
  if (!/^https?:\/\/[^/]/.test(baseUrl))
    throw new Error(`the gateway URL ${JSON.stringify(baseUrl)} is no http(s) URL`);
  return { baseUrl, appKey, appSecret };
}

/** Runs `work` with a client of the target app; whatever fails is said for a person (`explain`). */
export async function withApp<T>(
  flags: TargetFlags,
  work: (cp: CallpushClient, target: Target) => Promise<T>,
): Promise<T> {
  const target = resolveTarget(flags);
  try {
    return await work(createCallpush(target), target);
  } catch (err) {
    throw explain(err, target.baseUrl);
  }
}
