import { hotSpots, latestProfile } from './lib/cpu-profile.js';
import type { Arrivals, EmulatorInfo, emulatorHandlers } from './lib/emulator-process.js';
import { type GatewayProcess, startGatewayProcess } from './lib/gateway.js';
import { forkRpc, type Rpc } from './lib/ipc.js';
import type { LoadResult, LoadSpec, loadgenHandlers } from './lib/loadgen-process.js';
import { cpuShares, cpuTimes } from './lib/machine.js';
import { histogram, type Sample, scrape, total } from './lib/prometheus.js';
import { setUpFixture } from './lib/setup.js';
import { histogramDelta, histogramMaxBound, histogramQuantile, type Summary, summarize } from './lib/stats.js';
import { int, markdownTable, ms } from './lib/table.js';
import { waitForCount } from './lib/wait.js';

/**
 * `npm run bench -- ring`: calls placed at fixed open-loop rates against the gateway (built CLI, SQLite),
 * each ringing two devices (FCM and APNs VoIP) on the emulators, every party in its own process.
 */

export interface RingOptions {
  rates: number[];
  durationS: number;
  warmupS: number;
  callees: number;
  /** Profile the gateway with `--cpu-prof` and print its hot spots (the numbers then include the profiler). */
  cpuProfile: boolean;
}

/** Long enough that no ring times out (and sends cancels) while the bench is still measuring. */
const RING_TIMEOUT_S = 120;
const DEVICES_PER_CALL = 2;

type Emu = Rpc<typeof emulatorHandlers>;
type Load = Rpc<typeof loadgenHandlers>;

interface StepResult {
  rate: number;
  load: LoadResult;
  http: Summary;
  dispatch: { p50: number; p99: number; maxBound: number; n: number };
  /** Call accepted (its createdAt) → provider emulator received, ms, both providers and each. */
  received: Summary;
  receivedBy: Record<keyof Arrivals, Summary>;
  missing: number;
  /** Ring delivery attempts whose outcome was not `sent`, by provider and outcome. */
  notSent: Record<string, number>;
  /** CPU, % of one core, over the step; the machine's busy and stolen shares in % of all its CPUs. */
  cpu: { gateway: number; emulators: number; loadgen: number; machine: number; stolen: number; others: number };
  /** Gateway CPU time per accepted call, ms. */
  cpuPerCall: number;
  /** Provider request → answer as the gateway saw it (pool queueing included), p50/p99 ms by provider. */
  providerResponse: Record<keyof Arrivals, { p50: number; p99: number }>;
  /** The gateway's event-loop delay p99 over the step, ms. */
  loopP99: number;
  lagP99: number;
}

/** Waits until the emulators saw `expected` messages, or nothing new arrived for 2 s, or `timeoutMs`. */
function waitForArrivals(emu: Emu, expected: number, timeoutMs: number): Promise<void> {
  return waitForCount(
    async () => {
      const c = await emu.call('counts', undefined, 5000);
      return c.fcm + c.apns;
    },
    expected,
    timeoutMs,
  );
}

function loadSpec(gw: GatewayProcess, auth: string, callees: string[], rate: number, seconds: number): LoadSpec {
  return {
    url: gw.url,
    auth,
    caller: 'bench-caller',
    callees,
    rate,
    durationMs: seconds * 1000,
    ringTimeoutSeconds: RING_TIMEOUT_S,
    maxInflight: 2000,
    requestTimeoutMs: 10_000,
  };
}

async function runLoad(load: Load, spec: LoadSpec): Promise<LoadResult> {
  return load.call('run', spec, spec.durationMs + spec.requestTimeoutMs + 10_000);
}

function outcomeDelta(before: Sample[], after: Sample[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of after) {
    if (s.name !== 'callpush_deliveries_total' || s.labels.type !== 'ring' || s.labels.outcome === 'sent') continue;
    const prior = total(before, s.name, s.labels);
    const key = `${s.labels.provider} ${s.labels.outcome}`;
    if (s.value > prior) out[key] = (out[key] ?? 0) + s.value - prior;
  }
  return out;
}

async function measureStep(emu: Emu, load: Load, gw: GatewayProcess, spec: LoadSpec): Promise<StepResult> {
  await emu.call('drain', undefined, 10_000);
  const m0 = await scrape(gw.url);
  const emuCpu0 = await emu.call('cpu', undefined, 5000);
  const machine0 = cpuTimes();
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await runLoad(load, spec);
  await waitForArrivals(emu, result.accepted * DEVICES_PER_CALL, 15_000);
  const wallS = (performance.now() - t0) / 1000;
  const machine = cpuShares(machine0, cpuTimes());
  const own = process.cpuUsage(own0);
  const m1 = await scrape(gw.url);
  const emuCpu1 = await emu.call('cpu', undefined, 5000);
  const arrivals = await emu.call('drain', undefined, 10_000);

  const createdAt = new Map(result.calls);
  const latencies = (list: Array<[string, number]>) =>
    list.flatMap(([callId, at]) => {
      const created = createdAt.get(callId);
      return created === undefined ? [] : [at - created];
    });
  const byProvider = { fcm: latencies(arrivals.fcm), apns: latencies(arrivals.apns) };
  const all = [...byProvider.fcm, ...byProvider.apns];
  const dispatch = histogramDelta(
    histogram(m1, 'callpush_ring_dispatch_seconds'),
    histogram(m0, 'callpush_ring_dispatch_seconds'),
  );
  const cpuS = (name: string) => total(m1, name) - total(m0, name);
  const response = (provider: string) => {
    const name = 'callpush_provider_response_seconds';
    const h = histogramDelta(histogram(m1, name, { provider }), histogram(m0, name, { provider }));
    return { p50: histogramQuantile(h, 0.5) * 1000, p99: histogramQuantile(h, 0.99) * 1000 };
  };
  const cpu = {
    gateway: (100 * cpuS('process_cpu_seconds_total')) / wallS,
    emulators: (100 * (emuCpu1 - emuCpu0)) / 1e6 / wallS,
    loadgen: (100 * result.cpuMicros) / 1e6 / wallS,
    coordinator: (100 * (own.user + own.system)) / 1e6 / wallS,
  };
  return {
    rate: spec.rate,
    load: result,
    http: summarize(result.latencyMs),
    dispatch: {
      n: dispatch.count,
      p50: histogramQuantile(dispatch, 0.5) * 1000,
      p99: histogramQuantile(dispatch, 0.99) * 1000,
      maxBound: histogramMaxBound(dispatch) * 1000,
    },
    received: summarize(all),
    receivedBy: { fcm: summarize(byProvider.fcm), apns: summarize(byProvider.apns) },
    missing: result.accepted * DEVICES_PER_CALL - all.length,
    notSent: outcomeDelta(m0, m1),
    cpu: {
      gateway: cpu.gateway,
      emulators: cpu.emulators,
      loadgen: cpu.loadgen,
      machine: machine.busy,
      stolen: machine.steal,
      // Whatever else ran on the machine meanwhile: not the gateway, emulators, load generator or this process.
      others: machine.busyCores - cpu.gateway - cpu.emulators - cpu.loadgen - cpu.coordinator,
    },
    cpuPerCall: (1000 * cpuS('process_cpu_seconds_total')) / Math.max(1, result.accepted),
    providerResponse: { fcm: response('fcm'), apns: response('apns') },
    loopP99: total(m1, 'nodejs_eventloop_lag_p99_seconds') * 1000,
    lagP99: summarize(result.lagMs).p99,
  };
}

function errorsCell(s: StepResult): string {
  const parts = [
    ...Object.entries(s.load.failures).map(([why, n]) => `${/^\d+$/.test(why) ? `HTTP ${why}` : why}: ${n}`),
    ...Object.entries(s.notSent).map(([outcome, n]) => `${outcome}: ${n}`),
    ...(s.missing > 0 ? [`not received: ${s.missing}`] : []),
  ];
  return parts.length ? parts.join(', ') : '0';
}

const trio = (s: Summary) => `${ms(s.p50)} / ${ms(s.p99)} / ${ms(s.max)}`;

export function ringReport(steps: StepResult[], options: RingOptions): string {
  const main = markdownTable(
    [
      'offered calls/s',
      'accepted calls/s',
      'POST /v1/calls p50 / p99 ms',
      'ring dispatch p50 / p99 / max ms',
      'accepted → provider received p50 / p99 / max ms',
      'errors',
      'gateway CPU (ms/call)',
    ],
    steps.map((s) => [
      int(s.rate),
      int(s.load.accepted / (s.load.elapsedMs / 1000)),
      `${ms(s.http.p50)} / ${ms(s.http.p99)}`,
      `${ms(s.dispatch.p50)} / ${ms(s.dispatch.p99)} / ≤ ${ms(s.dispatch.maxBound)}`,
      trio(s.received),
      errorsCell(s),
      `${s.cpu.gateway.toFixed(0)} % (${s.cpuPerCall.toFixed(1)})`,
    ]),
  );
  const detail = markdownTable(
    [
      'offered calls/s',
      'calls (rings)',
      'FCM received p50 / p99 / max ms',
      'APNs received p50 / p99 / max ms',
      'provider answer p50 / p99 ms FCM · APNs',
      'gateway event-loop delay p99 ms',
      'CPU emulators / load generator',
      'machine busy / stolen; other processes',
      'generator lag p99 ms',
    ],
    steps.map((s) => [
      int(s.rate),
      `${int(s.load.accepted)} (${int(s.received.n)})`,
      trio(s.receivedBy.fcm),
      trio(s.receivedBy.apns),
      `${ms(s.providerResponse.fcm.p50)} / ${ms(s.providerResponse.fcm.p99)} · ${ms(s.providerResponse.apns.p50)} / ${ms(s.providerResponse.apns.p99)}`,
      ms(s.loopP99),
      `${s.cpu.emulators.toFixed(0)} % / ${s.cpu.loadgen.toFixed(0)} %`,
      `${s.cpu.machine.toFixed(0)} % / ${s.cpu.stolen.toFixed(0)} %; ${Math.max(0, s.cpu.others).toFixed(0)} %`,
      ms(s.lagP99),
    ]),
  );
  return [
    `### ring: ${options.durationS} s per rate after ${options.warmupS} s of warm-up, ${options.callees} callees × 2 devices`,
    '',
    main,
    '',
    detail,
    '',
    'POST latency counts from the scheduled send time (open loop). Ring dispatch: the gateway histogram ' +
      '`callpush_ring_dispatch_seconds` (call committed → provider request written), quantiles interpolated in its ' +
      'buckets, max as the bucket bound. Accepted → provider received: the call’s `createdAt` (before the commit) ' +
      'to the emulator’s `receivedAt`, whole milliseconds on one clock. Provider answer: ' +
      '`callpush_provider_response_seconds` (the client’s request → answer, waiting for a free stream included; ' +
      'interpolated in its buckets, 5000 = above the last). Process CPU in % of one core (200 % = the machine); machine ' +
      'busy and stolen (hypervisor steal) in % of both CPUs, from /proc/stat; other processes: machine busy time ' +
      'not spent by the bench’s processes, in % of one core.',
  ].join('\n');
}

export async function ringBench(options: RingOptions): Promise<string> {
  const plannedS = options.rates.length * (options.warmupS + options.durationS + 5);
  if (plannedS > RING_TIMEOUT_S - 20) {
    console.error(
      `ring: about ${plannedS} s of load: the first calls time out after ${RING_TIMEOUT_S} s and their cancels ` +
        'will then add to the load of the later steps',
    );
  }
  const stops: Array<() => Promise<void>> = [];
  try {
    const emu = await forkRpc<typeof emulatorHandlers>(
      new URL('./lib/emulator-process.ts', import.meta.url),
      [],
      30_000,
    );
    stops.push(() => emu.stop());
    const info = emu.info as EmulatorInfo;
    const gw = await startGatewayProcess({ providerCa: info.ca, cpuProfile: options.cpuProfile });
    stops.unshift(() => gw.stop());
    const load = await forkRpc<typeof loadgenHandlers>(
      new URL('./lib/loadgen-process.ts', import.meta.url),
      [],
      30_000,
    );
    stops.unshift(() => load.stop());
    const setupStarted = Date.now();
    const fixture = await setUpFixture(gw.url, gw.adminToken, info, options.callees);
    console.error(`ring: ${options.callees} callees with 2 devices each set up in ${Date.now() - setupStarted} ms`);

    const steps: StepResult[] = [];
    for (const rate of options.rates) {
      // Warm-up at the step's rate: JIT, provider sessions and OAuth tokens, SQLite pages, sockets.
      const warm = await runLoad(load, loadSpec(gw, fixture.auth, fixture.callees, rate, options.warmupS));
      await waitForArrivals(emu, warm.accepted * DEVICES_PER_CALL, 15_000);
      const step = await measureStep(
        emu,
        load,
        gw,
        loadSpec(gw, fixture.auth, fixture.callees, rate, options.durationS),
      );
      console.error(
        `ring: ${rate}/s → accepted ${step.load.accepted}/${step.load.offered}, dispatch p99 ${ms(step.dispatch.p99)} ms, received p99 ${ms(step.received.p99)} ms`,
      );
      steps.push(step);
    }
    let report = ringReport(steps, options);
    if (options.cpuProfile && gw.profileDir) {
      await gw.stop(); // writes the profile; the cleanup's second stop is a no-op
      report += `\n\n${profileReport(gw.profileDir)}`;
    }
    return report;
  } finally {
    for (const stop of stops) await stop().catch((err: unknown) => console.error(`ring: cleanup failed: ${err}`));
  }
}

function profileReport(dir: string): string {
  const file = latestProfile(dir);
  if (!file) return 'No CPU profile was written.';
  const { functions, areas } = hotSpots(file, 15);
  const pct = (share: number) => `${(share * 100).toFixed(1)} %`;
  return [
    `### gateway CPU profile (${file})`,
    '',
    markdownTable(
      ['area', 'self time'],
      areas.map((a) => [a.name, pct(a.share)]),
    ),
    '',
    markdownTable(
      ['function', 'self time'],
      functions.map((f) => [`\`${f.name}\``, pct(f.share)]),
    ),
  ].join('\n');
}
