import type { Stop } from './cleanup.js';
import type { Arrivals, EmulatorInfo, emulatorHandlers } from './emulator-process.js';
import { forkRpc, type Rpc } from './ipc.js';
import type { LoadResult, LoadSpec, loadgenHandlers } from './loadgen-process.js';
import { type Summary, summarize } from './stats.js';
import { ms } from './table.js';
import { waitForCount } from './wait.js';

/**
 * What the benchmarks that ring calls share: the emulator and load-generator processes, the open-loop load
 * spec, and matching the emulators' arrivals with the calls placed (accepted → provider received).
 */

export type Emu = Rpc<typeof emulatorHandlers>;
export type Load = Rpc<typeof loadgenHandlers>;

/** Long enough that no ring times out (and sends cancels) while the bench is still measuring. */
export const RING_TIMEOUT_S = 120;
/** Every callee has two devices: an FCM token and an APNs VoIP token. */
export const DEVICES_PER_CALL = 2;

/**
 * Starts the emulators (FCM and APNs, TLS) and the load generator, each in its own process; their stops go
 * to the front of `stops`, for the caller's `finally`.
 */
export async function startRingHelpers(stops: Stop[]): Promise<{ emu: Emu; info: EmulatorInfo; load: Load }> {
  const emu = await forkRpc<typeof emulatorHandlers>(new URL('./emulator-process.ts', import.meta.url), [], 30_000);
  stops.unshift(() => emu.stop());
  const load = await forkRpc<typeof loadgenHandlers>(new URL('./loadgen-process.ts', import.meta.url), [], 30_000);
  stops.unshift(() => load.stop());
  return { emu, info: emu.info as EmulatorInfo, load };
}

/** Warns when a run is long enough that its first calls' rings time out (and send cancels) during later steps. */
export function warnRingTimeout(label: string, plannedS: number): void {
  if (plannedS <= RING_TIMEOUT_S - 20) return;
  console.error(
    `${label}: about ${plannedS} s of load: the first calls time out after ${RING_TIMEOUT_S} s and their cancels ` +
      'will then add to the load of the later steps',
  );
}

/** Waits until the emulators saw `expected` messages, or nothing new arrived for 2 s, or `timeoutMs`. */
export function waitForArrivals(emu: Emu, expected: number, timeoutMs: number): Promise<void> {
  return waitForCount(
    async () => {
      const c = await emu.call('counts', undefined, 5000);
      return c.fcm + c.apns;
    },
    expected,
    timeoutMs,
  );
}

export function loadSpec(
  target: { urls: string[]; auth: string; path?: string },
  callees: string[],
  rate: number,
  seconds: number,
): LoadSpec {
  return {
    urls: target.urls,
    ...(target.path ? { path: target.path } : {}),
    auth: target.auth,
    caller: 'bench-caller',
    callees,
    rate,
    durationMs: seconds * 1000,
    ringTimeoutSeconds: RING_TIMEOUT_S,
    maxInflight: 2000,
    requestTimeoutMs: 10_000,
  };
}

export async function runLoad(load: Load, spec: LoadSpec): Promise<LoadResult> {
  return load.call('run', spec, spec.durationMs + spec.requestTimeoutMs + 10_000);
}

/** Arrival latencies of the calls placed, and how many arrivals repeated a call already seen. */
function matchArrivals(
  arrivals: Array<[string, number]>,
  createdAt: Map<string, number>,
): { latencies: number[]; duplicates: number } {
  const seen = new Set<string>();
  const latencies: number[] = [];
  let duplicates = 0;
  for (const [callId, at] of arrivals) {
    const created = createdAt.get(callId);
    if (created === undefined) continue;
    if (seen.has(callId)) duplicates++;
    else {
      seen.add(callId);
      latencies.push(at - created);
    }
  }
  return { latencies, duplicates };
}

export interface Received {
  /** Call accepted (its createdAt) → provider emulator received, ms, both providers and each. */
  all: Summary;
  byProvider: Record<keyof Arrivals, Summary>;
  /** Rings of accepted calls that reached no emulator. */
  missing: number;
  /** Rings that reached an emulator more than once (same call, same provider). */
  duplicates: number;
}

/** Hands over the emulators' arrivals since the last drain and matches them with `result`'s accepted calls. */
export async function collectArrivals(emu: Emu, result: LoadResult): Promise<Received> {
  const arrivals = await emu.call('drain', undefined, 10_000);
  const createdAt = new Map(result.calls);
  const fcm = matchArrivals(arrivals.fcm, createdAt);
  const apns = matchArrivals(arrivals.apns, createdAt);
  const all = [...fcm.latencies, ...apns.latencies];
  return {
    all: summarize(all),
    byProvider: { fcm: summarize(fcm.latencies), apns: summarize(apns.latencies) },
    missing: result.accepted * DEVICES_PER_CALL - all.length,
    duplicates: fcm.duplicates + apns.duplicates,
  };
}

/** `p50 / p99 / max` in ms. */
export const trio = (s: Summary) => `${ms(s.p50)} / ${ms(s.p99)} / ${ms(s.max)}`;

/** The load generator's failures, by HTTP status or reason, as table-cell parts. */
export function failureParts(result: LoadResult): string[] {
  return Object.entries(result.failures).map(([why, n]) => `${/^\d+$/.test(why) ? `HTTP ${why}` : why}: ${n}`);
}
