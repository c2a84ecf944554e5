import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stopAll, stopsOnSignal } from './lib/cleanup.js';
import { type GatewayProcess, startGatewayProcess } from './lib/gateway.js';
import {
  collectArrivals,
  DEVICES_PER_CALL,
  type Emu,
  type Load,
  loadSpec,
  runLoad,
  startRingHelpers,
  waitForArrivals,
} from './lib/ring-step.js';
import { type Fixture, setUpFixture } from './lib/setup.js';
import { int, markdownTable, ms } from './lib/table.js';

/**
 * `npm run bench -- first-ring`: how long the first call after a gateway starts takes to reach the providers,
 * against a warm call and a call after an idle period. The credentials (FCM service account: OAuth; APNs
 * token auth) are stored by a first gateway process, which then stops; each trial starts a fresh process on
 * that data folder, so nothing but the database is warm: no access token, no provider JWT, no TLS session, no
 * JIT. The bench measures whatever the gateway does at start (warming its credentials or not).
 */

export interface FirstRingOptions {
  /** Seconds without calls before the last call of each trial. */
  idleS: number;
  /** Fresh gateway processes, one trial each. */
  trials: number;
}

/** Calls one at a time after the cold one, whose median is "warm". */
const WARM_CALLS = 5;
const CALLS_PER_TRIAL = 1 + WARM_CALLS + 1;

interface Ring {
  /** Scheduled send → 201 read, ms. */
  post: number;
  /** Call accepted (its createdAt) → each emulator received, ms; NaN if it never arrived. */
  fcm: number;
  apns: number;
  /** The later of the two: both devices rung. */
  both: number;
  /** Epoch ms the later ring arrived. */
  bothAt: number;
}

interface Trial {
  /** Spawn → /readyz 200, ms (polled every 5 ms). */
  readyMs: number;
  /** Spawn → the cold call's both rings received, ms. */
  startToRungMs: number;
  cold: Ring;
  warm: Ring[];
  idle: Ring;
}

/** Places one call to `callee` through the load generator and waits (bounded) for its two rings. */
async function oneCall(emu: Emu, load: Load, gw: GatewayProcess, auth: string, callee: string): Promise<Ring> {
  // Whatever arrived meanwhile (a timed-out earlier ring's cancel) is not this call's.
  await emu.call('drain', undefined, 10_000);
  const result = await runLoad(load, { ...loadSpec({ urls: [gw.url], auth }, [callee], 1, 1), maxInflight: 1 });
  const call = result.calls[0];
  if (!call) throw new Error(`first-ring: the call was not accepted (${JSON.stringify(result.failures)})`);
  await waitForArrivals(emu, DEVICES_PER_CALL, 15_000);
  const { byProvider } = await collectArrivals(emu, result);
  const both = Math.max(byProvider.fcm.max, byProvider.apns.max);
  return {
    post: result.latencyMs[0] ?? Number.NaN,
    fcm: byProvider.fcm.max,
    apns: byProvider.apns.max,
    both,
    bothAt: call[1] + both,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? Number.NaN;

function medianRing(rings: Ring[]): Ring {
  const m = (f: (r: Ring) => number) => median(rings.map(f));
  return { post: m((r) => r.post), fcm: m((r) => r.fcm), apns: m((r) => r.apns), both: m((r) => r.both), bothAt: 0 };
}

async function runTrial(
  emu: Emu,
  load: Load,
  fixture: Fixture,
  start: () => Promise<GatewayProcess>,
  first: number,
  idleS: number,
): Promise<Trial> {
  const gw = await start();
  try {
    let next = first;
    const call = () => oneCall(emu, load, gw, fixture.auth, fixture.callees[next++]!);
    const cold = await call();
    const warm: Ring[] = [];
    for (let i = 0; i < WARM_CALLS; i++) warm.push(await call());
    await new Promise((r) => setTimeout(r, idleS * 1000));
    const idle = await call();
    return { readyMs: gw.readyMs, startToRungMs: cold.bothAt - gw.spawnedAt, cold, warm, idle };
  } finally {
    await gw.stop();
  }
}

const x = (a: number, b: number) => (Number.isFinite(a / b) ? `${(a / b).toFixed(1)}×` : '–');
const ring = (r: Ring) => `${ms(r.post)} · ${ms(r.fcm)} / ${ms(r.apns)}`;

function report(trials: Trial[], options: FirstRingOptions): string {
  const rows = trials.map((t, i) => {
    const warm = medianRing(t.warm);
    return [
      String(i + 1),
      ms(t.readyMs),
      ms(t.startToRungMs),
      ring(t.cold),
      ring(warm),
      ring(t.idle),
      `${x(t.cold.both, warm.both)} (FCM ${x(t.cold.fcm, warm.fcm)}, APNs ${x(t.cold.apns, warm.apns)})`,
      x(t.idle.both, warm.both),
    ];
  });
  const table = markdownTable(
    [
      'trial',
      'process start → ready ms',
      'process start → first call rung ms',
      'cold: POST · FCM / APNs received ms',
      `warm (median of ${WARM_CALLS}): POST · FCM / APNs ms`,
      `after ${int(options.idleS)} s idle: POST · FCM / APNs ms`,
      'cold ÷ warm (both rung)',
      'after idle ÷ warm',
    ],
    rows,
  );
  return [
    `### first-ring: the first call after the gateway starts, ${trials.length} fresh process${trials.length === 1 ? '' : 'es'}`,
    '',
    table,
    '',
    'Each trial starts a new gateway process (the built CLI, SQLite) on a data folder whose app, FCM service ' +
      'account and APNs signing key a previous process stored, waits for `/readyz` (polled every 5 ms), then ' +
      'places one call at once (cold), then ' +
      `${WARM_CALLS} calls one after the other (warm), then waits ${int(options.idleS)} s and places one more. ` +
      'Every call goes to another callee with two devices (FCM, APNs VoIP). POST: scheduled send → `201` read, ' +
      'by the load generator (its connection to the new process is new too). FCM / APNs received: the call’s ' +
      '`createdAt` → the emulator’s `receivedAt`, whole ms. "Both rung" is the later of the two. Process start → ' +
      'first call rung: from just before the spawn to the cold call’s later ring.',
  ].join('\n');
}

export async function firstRingBench(options: FirstRingOptions): Promise<string> {
  const stops = stopsOnSignal('first-ring');
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'callpush-first-ring-'));
  stops.push(async () => rmSync(dataDir, { recursive: true, force: true }));
  try {
    const { emu, info, load } = await startRingHelpers(stops);
    const start = async () => {
      const gw = await startGatewayProcess({ providerCa: info.ca, dataDir, readyPollMs: 5 });
      stops.unshift(() => gw.stop());
      return gw;
    };
    // The set-up process stores the app, both credentials and the devices, then goes away.
    const setup = await start();
    const fixture = await setUpFixture(setup.url, setup.adminToken, info, CALLS_PER_TRIAL * options.trials);
    await setup.stop();
    const trials: Trial[] = [];
    for (let t = 0; t < options.trials; t++) {
      const trial = await runTrial(emu, load, fixture, start, t * CALLS_PER_TRIAL, options.idleS);
      console.error(
        `first-ring: trial ${t + 1}, ready after ${ms(trial.readyMs)} ms, cold ${ms(trial.cold.both)} ms, ` +
          `warm ${ms(medianRing(trial.warm).both)} ms, after idle ${ms(trial.idle.both)} ms`,
      );
      trials.push(trial);
    }
    return report(trials, options);
  } finally {
    await stopAll(stops, 'first-ring');
  }
}
