import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type HmsEmulator, startHmsEmulator } from '@callpush/emulators';
import { afterAll, describe, expect, it } from 'vitest';

const CLI = path.resolve(import.meta.dirname, '../../src/cli.ts');
const dir = mkdtempSync(path.join(os.tmpdir(), 'callpush-auth-server-'));
let hms: HmsEmulator | undefined;
const children: Array<ReturnType<typeof spawn>> = [];
afterAll(async () => {
  for (const c of children) c.kill('SIGTERM');
  await hms?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('callpush auth-server', () => {
  it('starts from a config file and serves flow A end to end against Huawei OAuth (emulated)', async () => {
    hms = await startHmsEmulator();
    const config = path.join(dir, 'auth.json');
    writeFileSync(
      config,
      JSON.stringify({
        publicTokenUrl: 'http://127.0.0.1/oauth2/v1/huawei-hms/token',
        apps: {},
        clients: { gateway: 'client-secret-of-the-gateway' },
        hms: { tokenUrl: hms.tokenUrl, apps: { [hms.appId]: hms.clientSecret } },
      }),
    );
    const child = spawn(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', CLI, 'auth-server', '--config', config, '--port', '0'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    children.push(child);
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /callpush auth-server listening at (http:\/\/[^\s"]+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`auth-server exited ${code}: ${out}`)));
    });
    const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
    const bearer = await fetch(`${url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form({
        grant_type: 'client_credentials',
        client_id: 'gateway',
        client_secret: 'client-secret-of-the-gateway',
      }),
    });
    expect(bearer.status).toBe(200);
    const { access_token } = (await bearer.json()) as { access_token: string };
    const hmsToken = await fetch(`${url}/oauth/hms-token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${access_token}` },
      body: form({ grant_type: 'client_credentials', hms_application_id: hms.appId }),
    });
    expect(hmsToken.status).toBe(200);
    const body = (await hmsToken.json()) as { access_token: string; expires_in: number };
    expect(body.expires_in).toBeGreaterThan(0);
    const wrong = await fetch(`${url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form({ grant_type: 'client_credentials', client_id: 'gateway', client_secret: 'nope' }),
    });
    expect([wrong.status, ((await wrong.json()) as { error: string }).error]).toEqual([401, 'invalid_client']);
  });
});
