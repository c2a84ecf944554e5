import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stopChild } from './ipc.js';
import { withOpenFiles } from './open-files.js';

/** The gateway under test: the built CLI (`callpush serve`) in its own process, embedded SQLite in a temp folder. */

/**
 * Loaded into the gateway with `--import` when its memory is measured: answers an IPC request with
 * `process.memoryUsage()` taken after full garbage collections (`--expose-gc`). Plain JavaScript in a data:
 * URL because the gateway runs the built CLI without tsx, whose loader would add to the memory measured.
 */
const MEMORY_PROBE = `process.on('message', (m) => {
  if (m?.type !== 'bench-memory') return;
  globalThis.gc();
  globalThis.gc();
  process.send({ type: 'bench-memory', id: m.id, usage: process.memoryUsage() });
});`;

const CLI = fileURLToPath(new URL('../../packages/server/bin/callpush.js', import.meta.url));
/**
 * The unbundled build of the same command (tsc's output): a profile of it names each function's module, where
 * the bundle's puts all of callpush, Fastify and Kysely in one file. Only `--cpu-prof` runs use it.
 */
const UNBUNDLED_CLI = fileURLToPath(new URL('../../packages/server/dist/cli.js', import.meta.url));

export interface GatewayProcess {
  url: string;
  adminToken: string;
  child: ChildProcess;
  /** Where the CPU profile lands when started with `cpuProfile`. */
  profileDir?: string;
  /** Epoch ms just before the process was spawned. */
  spawnedAt: number;
  /** Spawn → first `200` from `/readyz`, ms (to the poll interval). */
  readyMs: number;
  /** The gateway's memory after a forced full GC; only when started with `memoryProbe`. */
  memory(): Promise<NodeJS.MemoryUsage>;
  stop(): Promise<void>;
}

/** A port free right now on loopback (the CLI prints no URL, so the bench chooses the port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Polls `path` on `url` every `pollMs` until it answers 2xx; throws when `child` exits first or after `timeoutMs`. */
export async function waitReady(
  url: string,
  child: ChildProcess,
  timeoutMs: number,
  { path = '/readyz', pollMs = 100, name = 'the gateway' } = {},
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    const ok = await fetch(new URL(path, url), { signal: AbortSignal.timeout(1000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  throw new Error(`${name} was not ready within ${timeoutMs} ms`);
}

/** Asks the probe for the gateway's memory (one request at a time is all the bench makes). */
function requestMemory(child: ChildProcess, id: number, timeoutMs: number): Promise<NodeJS.MemoryUsage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      reject(new Error(`the gateway's memory probe did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (raw: unknown) => {
      const msg = raw as { type?: string; id?: number; usage?: NodeJS.MemoryUsage };
      if (msg.type !== 'bench-memory' || msg.id !== id || !msg.usage) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(msg.usage);
    };
    child.on('message', onMessage);
    child.send({ type: 'bench-memory', id });
  });
}

export async function startGatewayProcess(options: {
  /** PEM of the CA the emulators' certificates chain to. */
  providerCa?: string;
  cpuProfile?: boolean;
  /** Loads the memory probe (`memory()`), with `--expose-gc` and an IPC channel. */
  memoryProbe?: boolean;
  /** More `CALLPUSH_*` settings. */
  env?: Record<string, string>;
  /** Serve this data folder (and leave it in place on stop) instead of a fresh temp folder. */
  dataDir?: string;
  /** How often readiness is polled, ms (default 100). */
  readyPollMs?: number;
  /** Files the gateway must be able to open (its sockets): its limit is raised to that (open-files.ts). */
  openFiles?: number;
}): Promise<GatewayProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'callpush-bench-'));
  const caFile = path.join(dataDir, 'provider-ca.pem');
  if (options.providerCa) writeFileSync(caFile, options.providerCa);
  const port = await freePort();
  const adminToken = 'bench-admin-token-0123456789abcdef';
  const profileDir = options.cpuProfile ? path.join(dataDir, 'profile') : undefined;
  const probeArgs = options.memoryProbe
    ? ['--expose-gc', '--import', `data:text/javascript,${encodeURIComponent(MEMORY_PROBE)}`]
    : [];
  const spawnedAt = Date.now();
  const spawned = performance.now();
  const [command, args] = withOpenFiles(options.openFiles ?? 0, process.execPath, [
    ...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []),
    ...probeArgs,
    profileDir ? UNBUNDLED_CLI : CLI,
    'serve',
  ]);
  const child = spawn(command, args, {
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      CALLPUSH_DATA_DIR: dataDir,
      CALLPUSH_ADMIN_TOKEN: adminToken,
      ...(options.providerCa ? { CALLPUSH_PROVIDER_CA_FILE: caFile } : {}),
      CALLPUSH_SANDBOX: 'false',
      // The emulators listen on loopback: the operator's setting that lets credentials point there.
      CALLPUSH_ALLOW_PRIVATE_ENDPOINTS: 'true',
      // A load generator is one app and a few callers at thousands of calls a minute: it measures the ring.
      CALLPUSH_RATE_LIMIT_APP_PER_MINUTE: '0',
      CALLPUSH_RATE_LIMIT_CALLER_PER_MINUTE: '0',
      LOG_LEVEL: 'warn',
      ...options.env,
    },
    stdio: ['ignore', 'inherit', 'inherit', ...(options.memoryProbe ? (['ipc'] as const) : [])],
  });
  let stopping = false;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', (code, signal) => {
    if (!stopping) console.error(`bench: the gateway exited unexpectedly (${signal ?? `code ${code}`})`);
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    stopping = true;
    await stopChild(child, exited, 10_000);
    // The profile is the one thing worth keeping from the data folder (and the folder is the caller's if given).
    if (!profileDir && !options.dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  let readyMs: number;
  try {
    await waitReady(url, child, 15_000, { pollMs: options.readyPollMs ?? 100 });
    readyMs = performance.now() - spawned;
  } catch (err) {
    await stop();
    throw err;
  }
  let probes = 0;
  const memory = () =>
    options.memoryProbe
      ? requestMemory(child, ++probes, 30_000)
      : Promise.reject(new Error('the gateway was started without memoryProbe'));
  return { url, adminToken, child, ...(profileDir ? { profileDir } : {}), spawnedAt, readyMs, memory, stop };
}
