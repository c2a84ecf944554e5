import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, startTestGateway, type TestGateway } from '../support/gateway.js';
import { request } from '../support/http.js';

const CLI = path.resolve(import.meta.dirname, '../../src/cli.ts');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment without any CALLPUSH_ setting of the machine running the tests. */
const cleanEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CALLPUSH_')));

function start(args: string[], env: Record<string, string> = {}): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', CLI, ...args], {
    env: { ...cleanEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const done = new Promise<Run>((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
  return { child, done };
}

const run = (args: string[], env?: Record<string, string>) => start(args, env).done;

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('callpush call, token and devices against a sandbox gateway', () => {
  let gw: TestGateway;
  let sandbox: string[];
  let appAuth: string;
  const getCall = async (callId: string) =>
    (await request(gw.url, 'GET', `/v1/calls/${callId}`, { auth: appAuth })).body;
  const callIdOf = (out: string) => /call (c_\S+) from/.exec(out)?.[1] ?? '';

  beforeAll(async () => {
    gw = await startTestGateway('sqlite', { CALLPUSH_SANDBOX: 'true' });
    sandbox = ['--data-dir', gw.config.dataDir];
    appAuth = basic(gw.sandbox!.appKey, gw.sandbox!.appSecret);
  });
  afterAll(() => gw.stop());

  it("rings every one of bob's devices and prints each delivery as it happens", async () => {
    const { code, stdout, stderr } = await run(['call', 'bob', ...sandbox]);
    expect(code, stderr).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^call c_\S+ from alice to bob: ringing, 4 deliveries$/);
    for (const device of ['pixel', 'huawei', 'iphone', 'browser']) {
      expect(stdout).toMatch(new RegExp(`\\+\\d+\\.\\d{3}s  bob/${device} +ring .* sent\\n`));
      expect(stdout).toMatch(new RegExp(`\\+\\d+\\.\\d{3}s  bob/${device} +ring .* provider accepted\\n`));
    }
    expect(lines.at(-1)).toMatch(/^every delivery is settled \(4 sent\); the call rings until /);
    const call = await getCall(callIdOf(stdout));
    expect([call.state, call.from, call.to, call.video]).toEqual(['ringing', 'alice', ['bob'], false]);
  });

  it('places the call its flags describe', async () => {
    const { code, stdout, stderr } = await run([
      'call',
      'bob',
      'carol',
      ...['--from', 'dave', '--video', '--display-name', 'Dave', '--ring-timeout', '45'],
      ...['--header', 'room=r-42', '--header', 'join=a=b'],
      ...sandbox,
    ]);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/^video call c_\S+ from dave to bob, carol: ringing, 4 deliveries\n/);
    const call = await getCall(callIdOf(stdout));
    expect(call).toMatchObject({
      from: 'dave',
      to: ['bob', 'carol'],
      video: true,
      displayName: 'Dave',
      headers: { room: 'r-42', join: 'a=b' },
    });
    expect(call.expiresAt - call.createdAt).toBe(45_000);
  });

  it('shows a retried delivery, and cancels the call on Ctrl-C', async () => {
    // bob's Huawei phone: Push Kit answers 503 until the fault is cleared, so that ring stays pending.
    gw.emulators!.hms.faults.set('sandbox-hms-token-bob', { status: 503, retryAfter: '1' });
    try {
      const { child, done } = start(['call', 'bob', ...sandbox]);
      let seen = '';
      await new Promise<void>((resolve) => {
        child.stdout!.on('data', (d: Buffer) => {
          seen += d.toString();
          if (/bob\/huawei .* attempt 1 failed, retrying/.test(seen)) resolve();
        });
      });
      child.kill('SIGINT');
      const { code, stdout } = await done;
      expect(code).toBe(130);
      expect(stdout.trim().split('\n').at(-1)).toBe('interrupted: the call is cancelled');
      expect((await getCall(callIdOf(stdout))).state).toBe('cancelled');
    } finally {
      gw.emulators!.hms.faults.clear();
    }
  });

  it('prints a user token the gateway accepts', async () => {
    const { code, stdout, stderr } = await run(['token', 'bob', '--ttl', '600', ...sandbox]);
    expect(code, stderr).toBe(0);
    const token = stdout.trim();
    const devices = await request(gw.url, 'GET', '/v1/me/devices', { auth: `Bearer ${token}` });
    expect([devices.status, devices.body.devices.length]).toEqual([200, 4]);
  });

  it("lists the user's devices, as lines or as the API's JSON", async () => {
    const [text, json] = await Promise.all([
      run(['devices', 'bob', ...sandbox]),
      run(['devices', 'bob', '--json', ...sandbox]),
    ]);
    expect(text.code, text.stderr).toBe(0);
    for (const line of ['pixel +alert fcm\\(fcm\\)', 'huawei +alert hms\\(hms\\)', 'iphone +voip apns\\(apns\\)']) {
      expect(text.stdout).toMatch(new RegExp(`^${line} `, 'm'));
    }
    expect(
      JSON.parse(json.stdout)
        .map((d: { deviceId: string }) => d.deviceId)
        .sort(),
    ).toEqual(['browser', 'huawei', 'iphone', 'pixel']);
  });

  it('takes the gateway and app from the environment instead of the sandbox', async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'callpush-cli-'));
    try {
      const { code, stdout, stderr } = await run(['devices', 'bob'], {
        CALLPUSH_DATA_DIR: empty,
        CALLPUSH_BASE_URL: gw.url,
        CALLPUSH_APP_KEY: gw.sandbox!.appKey,
        CALLPUSH_APP_SECRET: gw.sandbox!.appSecret,
      });
      expect(code, stderr).toBe(0);
      expect(stdout).toMatch(/^pixel /m);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('says what is wrong, without a stack trace, when it cannot do its job', async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'callpush-cli-'));
    const nobody = `http://127.0.0.1:${await closedPort()}`;
    try {
      const runs = await Promise.all([
        run(['call', 'bob', '--data-dir', empty]),
        run(['call', 'bob', ...sandbox, '--base-url', nobody]),
        run(['devices', 'bob', ...sandbox, '--app-secret', 'AAAAAAAAAAAAAAAAAAAAAA==']),
      ]);
      expect(runs.map((r) => [r.code, r.stdout])).toEqual([
        [1, ''],
        [1, ''],
        [1, ''],
      ]);
      expect(runs[0]!.stderr).toMatch(/^callpush: no app credentials: give --app-key and --app-secret/);
      expect(runs[1]!.stderr).toBe(
        `callpush: cannot reach a gateway at ${nobody} (ECONNREFUSED): is it running? (npm start runs the sandbox)\n`,
      );
      expect(runs[2]!.stderr).toMatch(/^callpush: http:\/\/127\.0\.0\.1:\d+ refused the app credentials \(/);
      for (const r of runs) expect(r.stderr.split('\n')).toHaveLength(2);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('explains each command with --help', async () => {
    const [top, call, token, devices] = await Promise.all([
      run(['--help']),
      run(['call', '--help']),
      run(['token', '--help']),
      run(['devices', '--help']),
    ]);
    expect(top.stdout).toMatch(/^ {2}call \[options\] <user\.\.\.>/m);
    expect(top.stdout).toMatch(/^ {2}token \[options\] <user>/m);
    expect(top.stdout).toMatch(/^ {2}devices \[options\] <user>/m);
    expect([call.code, token.code, devices.code]).toEqual([0, 0, 0]);
    for (const option of ['--from <user>', '--video', '--header <key=value>', '--base-url <url>', '--app-key <key>']) {
      expect(call.stdout).toContain(option);
    }
    const target = ['--base-url <url>', '--app-key <key>', '--app-secret <secret>', '--data-dir <dir>'];
    for (const option of ['--ttl <seconds>', ...target]) expect(token.stdout).toContain(option);
    for (const option of ['--json', ...target]) expect(devices.stdout).toContain(option);
    // Four CLI processes start at once (each compiles the source with tsx): slow on a busy 2-core machine.
  }, 60_000);
});
