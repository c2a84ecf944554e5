import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const CLI = path.resolve(import.meta.dirname, '../../src/cli.ts');
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'callpush-sandbox-'));
const children: ChildProcess[] = [];

/** Starts `callpush serve` as a user would (no configuration but a data folder and a free port). */
async function serve(): Promise<{ child: ChildProcess; url: string; ms: number }> {
  const started = Date.now();
  const env: NodeJS.ProcessEnv = { ...process.env, CALLPUSH_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn' };
  for (const key of ['CALLPUSH_ADMIN_TOKEN', 'DATABASE_URL', 'CALLPUSH_MASTER_KEY', 'CALLPUSH_SANDBOX'])
    delete env[key];
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', CLI, 'serve'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /ready in \d+ ms at (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.stderr!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.once('exit', (code) => reject(new Error(`callpush exited ${code}: ${out}`)));
  });
  return { child, url, ms: Date.now() - started };
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('sandbox (npm start with no configuration)', () => {
  it('starts, prints and saves credentials that work, and keeps apps and devices across restarts', async () => {
    const first = await serve();
    expect(first.ms).toBeLessThan(10_000);
    const info = JSON.parse(readFileSync(path.join(dataDir, 'sandbox.json'), 'utf8'));
    expect(info).toMatchObject({ baseUrl: first.url, appKey: expect.any(String), appSecret: expect.any(String) });
    // The sandbox app's providers point at the built-in emulators, whose inspection API answers.
    for (const name of ['fcm', 'hms', 'apns', 'webpush'])
      expect(info.emulators[name].baseUrl).toMatch(/^https?:\/\/127\.0\.0\.1:\d+$/);
    const hmsMessages = await fetch(`${info.emulators.hms.baseUrl}/_emulator/messages`);
    expect(await hmsMessages.json()).toEqual({ messages: [] });
    const basic = `Basic ${Buffer.from(`${info.appKey}:${info.appSecret}`).toString('base64')}`;

    // The README's walk-through: a provider, a user token, a device.
    const apps = await fetch(`${first.url}/v1/apps`, { headers: { authorization: `Bearer ${info.adminToken}` } });
    expect(apps.status).toBe(200);
    const provider = await fetch(`${first.url}/v1/apps/${info.appKey}/providers/hms`, {
      method: 'PUT',
      headers: { authorization: basic, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'hms', appId: '1234', clientSecret: 'secret', endpoint: 'http://127.0.0.1:1' }),
    });
    expect(provider.status).toBe(200);
    const providers = (await (
      await fetch(`${first.url}/v1/apps/${info.appKey}/providers`, { headers: { authorization: basic } })
    ).json()) as { providers: Array<{ name: string; config: { endpoint?: string } }> };
    expect(providers.providers.map((p) => [p.name, p.config.endpoint])).toEqual([
      ['apns', info.emulators.apns.baseUrl],
      ['fcm', info.emulators.fcm.baseUrl],
      ['hms', 'http://127.0.0.1:1'],
      ['webpush', info.emulators.webpush.baseUrl],
    ]);
    const token = (await (
      await fetch(`${first.url}/v1/users/alice/access-tokens`, { method: 'POST', headers: { authorization: basic } })
    ).json()) as { accessToken: string };
    const reg = await fetch(`${first.url}/v1/me/devices/phone`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'hms', token: 'hms-device-token', kind: 'alert' }),
    });
    expect(reg.status, await reg.clone().text()).toBe(201);
    await stop(first.child);

    const second = await serve();
    const again = JSON.parse(readFileSync(path.join(dataDir, 'sandbox.json'), 'utf8'));
    expect([again.appKey, again.appSecret, again.adminToken]).toEqual([info.appKey, info.appSecret, info.adminToken]);
    const devices = (await (
      await fetch(`${second.url}/v1/users/alice/devices`, { headers: { authorization: basic } })
    ).json()) as { devices: Array<{ token: string }> };
    expect(devices.devices.map((d) => d.token)).toEqual(['hms-device-token']);
    await stop(second.child);
  });
});
