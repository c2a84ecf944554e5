import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { latencyChart, writeCharts } from './lib/chart.js';
import { type Stop, stopAll, stopsOnSignal } from './lib/cleanup.js';
import { startDeployment } from './lib/deployment.js';
import type { EmulatorInfo } from './lib/emulator-process.js';
import { freePort, waitReady } from './lib/gateway.js';
import { stopChild } from './lib/ipc.js';
import type { LoadResult, LoadSpec } from './lib/loadgen-process.js';
import { cpuShares, cpuTimes, processCpuMicros, processRssBytes, sampleRss } from './lib/machine.js';
import { forEachConcurrently } from './lib/pool.js';
import {
  collectArrivals,
  DEVICES_PER_CALL,
  type Emu,
  failureParts,
  type Load,
  loadSpec,
  type Received,
  runLoad,
  startRingHelpers,
  trio,
  waitForArrivals,
  warnRingTimeout,
} from './lib/ring-step.js';
import { APNS_TOPIC, api, callee, setUpFixture } from './lib/setup.js';
import { type Summary, summarize } from './lib/stats.js';
import { int, markdownTable, ms } from './lib/table.js';
import type { RecipeConfig } from './recipe/server.js';

/**
 * `npm run bench -- recipe`: callpush against the server an adopting team would write itself
 * (`bench/recipe/server.ts`), alternating in one run: same emulators, same callees (two devices each, FCM and
 * APNs VoIP), same open-loop load generator, each server in its own process and measured from outside
 * (/proc) the same way.
 */

export interface RecipeOptions {
  rates: number[];
  durationS: number;
  warmupS: number;
  callees: number;
  /** Folder to write the latency chart to (SVG), if any. */
  chartsDir?: string;
}

/** A server under test, as the load generator and the measurements see it. */
interface Server {
  name: 'callpush' | 'recipe';
  urls: string[];
  auth: string;
  path: string;
  pid: number;
  /** RSS once set up, before any load, bytes. */
  idleRss: number;
}

interface Step {
  server: Server['name'];
  rate: number;
  load: LoadResult;
  http: Summary;
  received: Received;
  /** The server process's CPU over the step, % of one core, and per accepted call, ms. */
  cpu: number;
  cpuPerCall: number;
  /** Highest RSS sampled (every 100 ms) over the step, bytes. */
  peakRss: number;
  /** Emulators' and load generator's CPU, % of one core. */
  emulators: number;
  loadgen: number;
  /** Machine busy and stolen, % of all CPUs; CPU of processes outside the bench, % of one core. */
  machine: { busy: number; steal: number; others: number };
}

const HERE = path.dirname(fileURLToPath(import.meta.url));
const RECIPE_SOURCE = path.join(HERE, 'recipe', 'server.ts');
/** Under `dist/` (ignored by git and biome), next to the workspace's node_modules so its imports resolve. */
const RECIPE_BUILT = path.join(HERE, 'recipe', 'dist', 'server.js');
const RECIPE_AUTH = 'Bearer recipe-bench-app-key-0123456789';

/** Compiles the recipe to plain JavaScript: the measured process runs no TypeScript loader (nor does the gateway). */
async function buildRecipe(): Promise<void> {
  await build({
    entryPoints: [RECIPE_SOURCE],
    outfile: RECIPE_BUILT,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    bundle: false,
    logLevel: 'warning',
  });
}

/** Starts the recipe on loopback against the emulators; its stop goes to the front of `stops`. */
async function startRecipe(info: EmulatorInfo, stops: Stop[]): Promise<{ url: string; pid: number }> {
  if (!info.apns) throw new Error('the recipe bench needs the APNs emulator');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'callpush-recipe-'));
  const port = await freePort();
  const apnsUrl = new URL(info.apns.baseUrl);
  const config: RecipeConfig = {
    host: '127.0.0.1',
    port,
    database: path.join(dir, 'recipe.db'),
    authorization: RECIPE_AUTH,
    ca: info.ca,
    fcm: { serviceAccount: info.fcm.serviceAccount, emulatorPort: info.fcm.port },
    apns: {
      teamId: info.apns.teamId,
      keyId: info.apns.keyId,
      privateKey: info.apns.privateKey,
      bundleId: APNS_TOPIC,
      // node-apn checks the certificate against this name (the emulator's covers localhost).
      address: 'localhost',
      port: Number(apnsUrl.port),
    },
  };
  const configFile = path.join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(config));
  const child = spawn(process.execPath, [RECIPE_BUILT, configFile], {
    env: { ...process.env, NODE_ENV: 'production' },
    // Its log lines (pino JSON, warnings only) go to stderr: stdout is the report.
    stdio: ['ignore', 2, 2],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopping = false;
  child.once('exit', (code, signal) => {
    if (!stopping) console.error(`recipe: the recipe server exited unexpectedly (${signal ?? `code ${code}`})`);
  });
  const stop = async () => {
    stopping = true;
    await stopChild(child, exited, 10_000);
    rmSync(dir, { recursive: true, force: true });
  };
  stops.unshift(stop);
  const url = `http://127.0.0.1:${port}`;
  await waitReady(url, child, 15_000, { path: '/healthz', name: 'the recipe server' });
  if (child.pid === undefined) throw new Error('the recipe server has no pid');
  return { url, pid: child.pid };
}

/** Registers every callee's two devices with the recipe, as the apps would through its API. */
async function registerRecipeDevices(url: string, count: number): Promise<string[]> {
  await forEachConcurrently(count, 16, async (i) => {
    const { user, fcmToken, apnsVoipToken } = callee(i);
    await api(url, 'POST', '/devices', RECIPE_AUTH, { userId: user, provider: 'fcm', token: fcmToken, kind: 'alert' });
    await api(url, 'POST', '/devices', RECIPE_AUTH, {
      userId: user,
      provider: 'apns',
      token: apnsVoipToken,
      kind: 'voip',
    });
  });
  return Array.from({ length: count }, (_, i) => callee(i).user);
}

async function measure(emu: Emu, load: Load, server: Server, spec: LoadSpec): Promise<Step> {
  await emu.call('drain', undefined, 10_000);
  const emuCpu0 = await emu.call('cpu', undefined, 5000);
  const own0 = process.cpuUsage();
  const cpu0 = processCpuMicros(server.pid);
  const machine0 = cpuTimes();
  const rss = sampleRss(server.pid, 100);
  const t0 = performance.now();
  const result = await runLoad(load, spec);
  await waitForArrivals(emu, result.accepted * DEVICES_PER_CALL, 15_000);
  const wallS = (performance.now() - t0) / 1000;
  const { peak } = rss.stop();
  const cpuMicros = processCpuMicros(server.pid) - cpu0;
  const machine = cpuShares(machine0, cpuTimes());
  const own = process.cpuUsage(own0);
  const emuMicros = (await emu.call('cpu', undefined, 5000)) - emuCpu0;
  const received = await collectArrivals(emu, result);
  const pct = (micros: number) => (100 * micros) / 1e6 / wallS;
  const bench = pct(cpuMicros) + pct(emuMicros) + pct(result.cpuMicros) + pct(own.user + own.system);
  return {
    server: server.name,
    rate: spec.rate,
    load: result,
    http: summarize(result.latencyMs),
    received,
    cpu: pct(cpuMicros),
    cpuPerCall: cpuMicros / 1000 / Math.max(1, result.accepted),
    peakRss: peak,
    emulators: pct(emuMicros),
    loadgen: pct(result.cpuMicros),
    // The other server idles meanwhile: its timers count here, with everyone else's work.
    machine: { busy: machine.busy, steal: machine.steal, others: machine.busyCores - bench },
  };
}

const mib = (bytes: number) => (Number.isFinite(bytes) ? (bytes / 2 ** 20).toFixed(1) : '–');

function errorsCell(s: Step): string {
  const parts = [
    ...failureParts(s.load),
    ...(s.received.missing > 0 ? [`not received: ${s.received.missing}`] : []),
    ...(s.received.duplicates > 0 ? [`received twice: ${s.received.duplicates}`] : []),
  ];
  return parts.length ? parts.join(', ') : '0';
}

const acceptedRate = (s: Step) => s.load.accepted / (s.load.elapsedMs / 1000);
const ratio = (a: number, b: number) => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : '–');

function recipeReport(steps: Step[], servers: Server[], options: RecipeOptions): string {
  const main = markdownTable(
    [
      'offered calls/s',
      'server',
      'accepted calls/s',
      'POST p50 / p99 ms',
      'accepted → provider received p50 / p99 / max ms',
      'errors',
      'server CPU (ms/call)',
      'peak RSS MiB',
    ],
    steps.map((s) => [
      int(s.rate),
      s.server,
      int(acceptedRate(s)),
      `${ms(s.http.p50)} / ${ms(s.http.p99)}`,
      trio(s.received.all),
      errorsCell(s),
      `${s.cpu.toFixed(0)} % (${s.cpuPerCall.toFixed(2)})`,
      mib(s.peakRss),
    ]),
  );
  const rates = [...new Set(steps.map((s) => s.rate))];
  const ratios = markdownTable(
    ['offered calls/s', 'accepted calls/s', 'received p50', 'received p99', 'received max', 'CPU per call', 'peak RSS'],
    rates.flatMap((rate) => {
      const c = steps.find((s) => s.rate === rate && s.server === 'callpush');
      const r = steps.find((s) => s.rate === rate && s.server === 'recipe');
      if (!c || !r) return [];
      return [
        [
          int(rate),
          ratio(acceptedRate(c), acceptedRate(r)),
          ratio(c.received.all.p50, r.received.all.p50),
          ratio(c.received.all.p99, r.received.all.p99),
          ratio(c.received.all.max, r.received.all.max),
          ratio(c.cpuPerCall, r.cpuPerCall),
          ratio(c.peakRss, r.peakRss),
        ],
      ];
    }),
  );
  const detail = markdownTable(
    [
      'offered calls/s',
      'server',
      'calls (rings)',
      'FCM received p50 / p99 / max ms',
      'APNs received p50 / p99 / max ms',
      'CPU emulators / load generator',
      'machine busy / stolen; other processes',
      'generator lag p99 ms',
    ],
    steps.map((s) => [
      int(s.rate),
      s.server,
      `${int(s.load.accepted)} (${int(s.received.all.n)})`,
      trio(s.received.byProvider.fcm),
      trio(s.received.byProvider.apns),
      `${s.emulators.toFixed(0)} % / ${s.loadgen.toFixed(0)} %`,
      `${s.machine.busy.toFixed(0)} % / ${s.machine.steal.toFixed(0)} %; ${Math.max(0, s.machine.others).toFixed(0)} %`,
      ms(summarize(s.load.lagMs).p99),
    ]),
  );
  const idle = servers.map((s) => `${s.name} ${mib(s.idleRss)} MiB`).join(', ');
  return [
    `### recipe: callpush against a hand-written server, ${options.durationS} s per rate and server after ` +
      `${options.warmupS} s of warm-up, ${options.callees} callees × 2 devices`,
    '',
    main,
    '',
    '#### callpush vs recipe (callpush ÷ recipe: above 1× callpush accepts more, or is slower / costs more)',
    '',
    ratios,
    '',
    detail,
    '',
    `RSS once set up, before any load: ${idle}.`,
    '',
    'The two servers alternate within each rate (callpush first at the 1st, 3rd… rate, the recipe first at the ' +
      'others), each after its own warm-up at that rate; both stay up for the whole run. callpush: the built CLI ' +
      'on SQLite, as in the ring bench. Recipe: `bench/recipe/server.ts` (Fastify, better-sqlite3, firebase-admin ' +
      '`send()`, @parse/node-apn), compiled with esbuild and run with plain `node`. POST latency counts from the ' +
      'scheduled send time (open loop). Accepted → provider received: the `createdAt` each server answers ' +
      '(taken as it starts handling the call) to the emulator’s `receivedAt`, whole milliseconds on one clock. ' +
      'Server CPU from /proc/<pid>/stat (all threads) in % of one core and per accepted call; peak RSS: the ' +
      'highest VmRSS of /proc/<pid>/status sampled every 100 ms over the step. Machine busy and stolen in % of ' +
      'both CPUs; other processes (the idle server included) in % of one core.',
  ].join('\n');
}

function recipeChart(steps: Step[], dir: string): string {
  const files = writeCharts(dir, {
    'recipe-latency': latencyChart({
      id: 'recipe-latency',
      title: 'callpush vs recipe: accepted → provider received',
      subject: 'server',
      steps: steps.map((s) => ({ series: s.server, rate: s.rate, latency: s.received.all })),
    }),
  });
  return `Chart: ${files.join(', ')}`;
}

export async function recipeBench(options: RecipeOptions): Promise<string> {
  warnRingTimeout('recipe', 2 * options.rates.length * (options.warmupS + options.durationS + 5));
  const stops = stopsOnSignal('recipe');
  try {
    await buildRecipe();
    const { emu, info, load } = await startRingHelpers(stops);

    const dep = await startDeployment({ engine: 'sqlite' }, info.ca, false);
    stops.unshift(() => dep.stop());
    const fixture = await setUpFixture(dep.urls[0]!, dep.adminToken, info, options.callees);
    const gatewayPid = dep.nodes[0]?.child.pid;
    if (gatewayPid === undefined) throw new Error('the gateway has no pid');

    const recipe = await startRecipe(info, stops);
    const callees = await registerRecipeDevices(recipe.url, options.callees);
    console.error(`recipe: both servers up, ${options.callees} callees with 2 devices each registered with each`);

    const servers: Server[] = [
      {
        name: 'callpush',
        urls: dep.urls,
        auth: fixture.auth,
        path: '/v1/calls',
        pid: gatewayPid,
        idleRss: processRssBytes(gatewayPid),
      },
      {
        name: 'recipe',
        urls: [recipe.url],
        auth: RECIPE_AUTH,
        path: '/calls',
        pid: recipe.pid,
        idleRss: processRssBytes(recipe.pid),
      },
    ];
    const steps: Step[] = [];
    for (const [i, rate] of options.rates.entries()) {
      // Alternate who goes first, so neither always runs on a machine the other just heated.
      for (const server of i % 2 === 0 ? servers : [...servers].reverse()) {
        const list = server.name === 'callpush' ? fixture.callees : callees;
        const warm = await runLoad(load, loadSpec(server, list, rate, options.warmupS));
        await waitForArrivals(emu, warm.accepted * DEVICES_PER_CALL, 15_000);
        const step = await measure(emu, load, server, loadSpec(server, list, rate, options.durationS));
        console.error(
          `recipe: ${server.name}, ${rate}/s → accepted ${step.load.accepted}/${step.load.offered}, received p99 ${ms(step.received.all.p99)} ms, ${step.cpuPerCall.toFixed(2)} ms CPU/call`,
        );
        steps.push(step);
      }
    }
    const charts = options.chartsDir ? [recipeChart(steps, options.chartsDir)] : [];
    return [recipeReport(steps, servers, options), ...charts].join('\n\n');
  } finally {
    await stopAll(stops, 'recipe');
  }
}
