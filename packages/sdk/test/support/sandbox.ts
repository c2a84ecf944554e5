import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { type Gateway, resolveConfig, startGateway } from '@callpush/server';

/** A gateway in sandbox mode on loopback: an app, the user bob with four devices on the built-in emulators. */
export interface Sandbox {
  gateway: Gateway;
  baseUrl: string;
  appKey: string;
  appSecret: string;
  adminToken: string;
  close(): Promise<void>;
}

export async function startSandbox(env: Record<string, string> = {}): Promise<Sandbox> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'callpush-sdk-test-'));
  const config = resolveConfig({ env: { PORT: '0', CALLPUSH_DATA_DIR: dataDir, ...env } });
  const gateway = await startGateway(config, { logStream: new PassThrough().resume() });
  const sandbox = gateway.sandbox;
  if (!sandbox) throw new Error('the gateway did not start in sandbox mode');
  return {
    gateway,
    baseUrl: gateway.url,
    appKey: sandbox.appKey,
    appSecret: sandbox.appSecret,
    adminToken: sandbox.adminToken,
    close: async () => {
      await gateway.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
