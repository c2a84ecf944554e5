import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import pg from 'pg';
import { type Gateway, startGateway } from '../../src/gateway.js';
import { type Config, resolveConfig } from '../../src/infra/config/index.js';
import { PG_URL } from './services.js';

export type EngineName = 'sqlite' | 'postgres';

export interface TestGateway extends Gateway {
  config: Config;
  /** Every log line written so far. */
  logs(): string;
  stop(): Promise<void>;
}

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

/** Starts a gateway on a free loopback port, on SQLite in a temp folder or in a fresh PostgreSQL schema. */
export async function startTestGateway(
  engine: EngineName,
  env: Record<string, string> = {},
  options: { providerCa?: string; dataDir?: string; schema?: string; keep?: boolean } = {},
): Promise<TestGateway> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'callpush-test-'));
  const schema = options.schema ?? `t_${randomBytes(6).toString('hex')}`;
  const config = resolveConfig({
    env: {
      PORT: '0',
      CALLPUSH_DATA_DIR: dataDir,
      CALLPUSH_ADMIN_TOKEN: ADMIN_TOKEN,
      // The emulators listen on loopback.
      CALLPUSH_ALLOW_PRIVATE_ENDPOINTS: 'true',
      LOG_LEVEL: 'debug',
      ...(engine === 'postgres'
        ? { DATABASE_URL: PG_URL, CALLPUSH_MASTER_KEY: randomBytes(32).toString('base64') }
        : {}),
      ...env,
    },
  });
  const stream = new PassThrough();
  let logs = '';
  stream.on('data', (chunk: Buffer) => {
    logs += chunk.toString('utf8');
  });
  const gateway = await startGateway(config, {
    logStream: stream,
    pgSchema: engine === 'postgres' ? schema : undefined,
    ...(options.providerCa ? { providerCa: options.providerCa } : {}),
  });
  return {
    ...gateway,
    config,
    logs: () => logs,
    stop: async () => {
      await gateway.close();
      if (options.keep) return;
      rmSync(dataDir, { recursive: true, force: true });
      if (engine === 'postgres') {
        const client = new pg.Client({ connectionString: PG_URL });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await client.end();
      }
    },
  };
}

export function basic(key: string, secret: string): string {
  return `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`;
}
