import { latencyChart, writeCharts } from './lib/chart.js';
import { stopAll, stopsOnSignal } from './lib/cleanup.js';
import { hotSpots, latestProfile } from './lib/cpu-profile.js';
import { type Deployment, startDeployment, type Topology, topologyLabel } from './lib/deployment.js';
import type { Arrivals } from './lib/emulator-process.js';
import type { LoadResult, LoadSpec } from './lib/loadgen-process.js';
import { loopbackFloor } from './lib/loopback-floor.js';
import { commandCpu, commandCpuDelta, cpuShares, cpuTimes } from './lib/machine.js';
import { histogram, loopDelayMs, type Sample, scrape, total } from './lib/prometheus.js';
import {
  collectArrivals,
  DEVICES_PER_CALL,
  type Emu,
  failureParts,
  type Load,
  loadSpec,
  runLoad,
  startRingHelpers,
  trio,
  waitForArrivals,
  warnRingTimeout,
} from './lib/ring-step.js';
import { type Fixture, setUpFixture } from './lib/setup.js';
import { histogramDelta, histogramMaxBound, histogramQuantile, type Summary, summarize } from './lib/stats.js';
import { int, markdownTable, ms } from './lib/table.js';

/**
 * `npm run bench -- ring`: calls placed at fixed open-loop rates against the gateway (built CLI), each ringing
 * two devices (FCM and APNs VoIP) on the emulators, every party in its own process. With `--nodes` the same
 * steps run against each deployment in turn: one node on SQLite, or several on PostgreSQL + Redis with the
 * calls spread round-robin over the nodes.
 */

export interface RingOptions {
  topologies: Topology[];
  rates: number[];
  durationS: number;
  warmupS: number;
  callees: number;
  /** Profile the gateway with `--cpu-prof` and print its hot spots (the numbers then include the profiler). */
  cpuProfile: boolean;
  /** Folder to write the latency chart to (SVG), if any. */
  chartsDir?: string;
}

/** The shared services' processes, whose CPU counts against the deployments that use them. */
const SERVICES = ['postgres', 'redis-server'];

interface StepResult {
  deployment: string;
  rate: number;
  load: LoadResult;
  http: Summary;
  dispatch: { p50: number; p99: number; maxBound: number; n: number };
  /** Call accepted (its createdAt) → provider emulator received, ms, both providers and each. */
  received: Summary;
  receivedBy: Record<keyof Arrivals, Summary>;
  missing: number;
  /** Rings that reached an emulator more than once (same call, same provider). */
  duplicates: number;
  /** Ring delivery attempts whose outcome was not `sent`, by provider and outcome. */
  notSent: Record<string, number>;
  /** CPU, % of one core, over the step; the machine's busy and stolen shares in % of all its CPUs. */
  cpu: {
    /** Each node's. */
    gateways: number[];
    emulators: number;
    loadgen: number;
    postgres: number;
    redis: number;
    machine: number;
    stolen: number;
    others: number;
  };
  /** Gateway CPU time per accepted call, ms, all nodes together. */
  cpuPerCall: number;
  /** Statements the gateways sent to their database per accepted call (BEGIN and COMMIT included). */
  statementsPerCall: number;
  /** Provider request → answer as the gateway saw it (pool queueing included), p50/p99 ms by provider. */
  providerResponse: Record<keyof Arrivals, { p50: number; p99: number }>;
  /** The gateway's event-loop delay p99 over the step, ms (the worst node's). */
  loopP99: number;
  lagP99: number;
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

/** Every node's /metrics; `histogram` and `total` over the concatenation merge the nodes. */
const scrapeAll = (dep: Deployment) => Promise.all(dep.urls.map(scrape));

async function measureStep(emu: Emu, load: Load, dep: Deployment, spec: LoadSpec): Promise<StepResult> {
  await emu.call('drain', undefined, 10_000);
  const nodes0 = await scrapeAll(dep);
  const m0 = nodes0.flat();
  const emuCpu0 = await emu.call('cpu', undefined, 5000);
  const services0 = commandCpu(SERVICES);
  const machine0 = cpuTimes();
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await runLoad(load, spec);
  await waitForArrivals(emu, result.accepted * DEVICES_PER_CALL, 15_000);
  const wallS = (performance.now() - t0) / 1000;
  const machine = cpuShares(machine0, cpuTimes());
  const own = process.cpuUsage(own0);
  const services = commandCpuDelta(services0, commandCpu(SERVICES));
  const nodes1 = await scrapeAll(dep);
  const m1 = nodes1.flat();
  const emuCpu1 = await emu.call('cpu', undefined, 5000);
  const received = await collectArrivals(emu, result);

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
  const pct = (micros: number) => (100 * micros) / 1e6 / wallS;
  const gateways = nodes1.map(
    (m, i) => (100 * (total(m, 'process_cpu_seconds_total') - total(nodes0[i]!, 'process_cpu_seconds_total'))) / wallS,
  );
  const cpu = {
    emulators: pct(emuCpu1 - emuCpu0),
    loadgen: pct(result.cpuMicros),
    coordinator: pct(own.user + own.system),
    postgres: pct(services.postgres ?? 0),
    redis: pct(services['redis-server'] ?? 0),
  };
  const benchCpu = [...gateways, cpu.emulators, cpu.loadgen, cpu.coordinator].reduce((a, b) => a + b, 0);
  // PostgreSQL and Redis are the deployment's only when it uses them; otherwise they are someone else's.
  const shared = dep.topology.engine === 'postgres' ? cpu.postgres + cpu.redis : 0;
  return {
    deployment: topologyLabel(dep.topology),
    rate: spec.rate,
    load: result,
    http: summarize(result.latencyMs),
    dispatch: {
      n: dispatch.count,
      p50: histogramQuantile(dispatch, 0.5) * 1000,
      p99: histogramQuantile(dispatch, 0.99) * 1000,
      maxBound: histogramMaxBound(dispatch) * 1000,
    },
    received: received.all,
    receivedBy: received.byProvider,
    missing: received.missing,
    duplicates: received.duplicates,
    notSent: outcomeDelta(m0, m1),
    cpu: {
      gateways,
      emulators: cpu.emulators,
      loadgen: cpu.loadgen,
      postgres: cpu.postgres,
      redis: cpu.redis,
      machine: machine.busy,
      stolen: machine.steal,
      // Whatever else ran on the machine meanwhile: not the bench's processes (nor the services it uses).
      others: machine.busyCores - benchCpu - shared,
    },
    cpuPerCall: (1000 * cpuS('process_cpu_seconds_total')) / Math.max(1, result.accepted),
    statementsPerCall: cpuS('callpush_database_statements_total') / Math.max(1, result.accepted),
    providerResponse: { fcm: response('fcm'), apns: response('apns') },
    loopP99: Math.max(...nodes1.map((m) => loopDelayMs(m, 'p99'))),
    lagP99: summarize(result.lagMs).p99,
  };
}

function errorsCell(s: StepResult): string {
  const parts = [
    ...failureParts(s.load),
    ...Object.entries(s.notSent).map(([outcome, n]) => `${outcome}: ${n}`),
    ...(s.missing > 0 ? [`not received: ${s.missing}`] : []),
    ...(s.duplicates > 0 ? [`received twice: ${s.duplicates}`] : []),
  ];
  return parts.length ? parts.join(', ') : '0';
}

/** Seconds of bare request and answer per rate for the machine's floor (loopback-floor.ts). */
const FLOOR_SECONDS = 2;

export function ringReport(
  steps: StepResult[],
  options: RingOptions,
  notes: string[],
  floor: Map<number, Summary>,
): string {
  const main = markdownTable(
    [
      'gateways',
      'offered calls/s',
      'accepted calls/s',
      'POST /v1/calls p50 / p99 ms',
      'ring dispatch p50 / p99 / max ms',
      'accepted → provider received p50 / p99 / max ms',
      'errors',
      'gateway CPU per node (ms/call)',
    ],
    steps.map((s) => [
      s.deployment,
      int(s.rate),
      int(s.load.accepted / (s.load.elapsedMs / 1000)),
      `${ms(s.http.p50)} / ${ms(s.http.p99)}`,
      `${ms(s.dispatch.p50)} / ${ms(s.dispatch.p99)} / ≤ ${ms(s.dispatch.maxBound)}`,
      trio(s.received),
      errorsCell(s),
      `${s.cpu.gateways.map((c) => `${c.toFixed(0)} %`).join(' + ')} (${s.cpuPerCall.toFixed(1)})`,
    ]),
  );
  const detail = markdownTable(
    [
      'gateways',
      'offered calls/s',
      'calls (rings)',
      'FCM received p50 / p99 / max ms',
      'APNs received p50 / p99 / max ms',
      'provider answer p50 / p99 ms FCM · APNs',
      'gateway event-loop delay p99 ms (beyond the 10 ms sampling)',
      'CPU emulators / load generator',
      'CPU PostgreSQL / Redis',
      'database statements per call',
      'machine busy / stolen; other processes',
      'generator lag p99 ms',
    ],
    steps.map((s) => [
      s.deployment,
      int(s.rate),
      `${int(s.load.accepted)} (${int(s.received.n)})`,
      trio(s.receivedBy.fcm),
      trio(s.receivedBy.apns),
      `${ms(s.providerResponse.fcm.p50)} / ${ms(s.providerResponse.fcm.p99)} · ${ms(s.providerResponse.apns.p50)} / ${ms(s.providerResponse.apns.p99)}`,
      ms(s.loopP99),
      `${s.cpu.emulators.toFixed(0)} % / ${s.cpu.loadgen.toFixed(0)} %`,
      `${s.cpu.postgres.toFixed(0)} % / ${s.cpu.redis.toFixed(0)} %`,
      s.statementsPerCall.toFixed(1),
      `${s.cpu.machine.toFixed(0)} % / ${s.cpu.stolen.toFixed(0)} %; ${Math.max(0, s.cpu.others).toFixed(0)} %`,
      ms(s.lagP99),
    ]),
  );
  const floorTable = markdownTable(
    [
      'offered calls/s',
      'the machine’s floor: bare node:http2 request → answer between two processes p50 / p99 / max ms',
    ],
    [...floor].map(([rate, f]) => [int(rate), `${ms(f.p50)} / ${ms(f.p99)} / ${ms(f.max)}`]),
  );
  return [
    `### ring: ${options.durationS} s per rate after ${options.warmupS} s of warm-up, ${options.callees} callees × 2 devices`,
    '',
    main,
    '',
    detail,
    '',
    floorTable,
    '',
    ...notes.map((n) => `${n}\n`),
    'Gateways: one node on the embedded SQLite, or N nodes (`callpush serve` each) sharing PostgreSQL and Redis, ' +
      'the calls spread round-robin over them. POST latency counts from the scheduled send time (open loop). Ring ' +
      'dispatch: the gateway histogram `callpush_ring_dispatch_seconds` (call committed → provider request written), ' +
      'every node’s merged, quantiles interpolated in its buckets, max as the bucket bound. Accepted → provider ' +
      'received: the call’s `createdAt` (before the commit) to the emulator’s `receivedAt` of its first arrival, ' +
      'whole milliseconds on one clock. Provider answer: `callpush_provider_response_seconds` (the client’s ' +
      'request → answer, waiting for a free stream included; interpolated in its buckets, 5000 = above the last). ' +
      'Event-loop delay: the worst node’s. Process CPU in % of one core (200 % = the machine); PostgreSQL is all its ' +
      'processes, whoever they serve; machine busy and stolen (hypervisor steal) in % of both CPUs, from ' +
      '/proc/stat; other processes: machine busy time not spent by the bench’s processes (nor by PostgreSQL and ' +
      'Redis when the gateways use them), in % of one core. The machine’s floor: one hop of the ring path with ' +
      'nothing of callpush in it, a bare `node:http2` request and answer between the bench and an echo process at ' +
      `the same rate for ${FLOOR_SECONDS} s, measured before the gateways start.`,
  ].join('\n');
}

/** Runs every rate against one deployment; `calls` counts all it accepted, warm-ups included. */
async function runDeployment(
  emu: Emu,
  load: Load,
  dep: Deployment,
  fixture: Fixture,
  options: RingOptions,
): Promise<{ steps: StepResult[]; calls: number }> {
  const steps: StepResult[] = [];
  let calls = 0;
  const label = topologyLabel(dep.topology);
  for (const rate of options.rates) {
    // Warm-up at the step's rate: JIT, provider sessions and OAuth tokens, database pages, sockets.
    const target = { urls: dep.urls, auth: fixture.auth };
    const warm = await runLoad(load, loadSpec(target, fixture.callees, rate, options.warmupS));
    await waitForArrivals(emu, warm.accepted * DEVICES_PER_CALL, 15_000);
    const step = await measureStep(emu, load, dep, loadSpec(target, fixture.callees, rate, options.durationS));
    calls += warm.accepted + step.load.accepted;
    console.error(
      `ring: ${label}, ${rate}/s → accepted ${step.load.accepted}/${step.load.offered}, dispatch p99 ${ms(step.dispatch.p99)} ms, received p99 ${ms(step.received.p99)} ms`,
    );
    steps.push(step);
  }
  return { steps, calls };
}

export async function ringBench(options: RingOptions): Promise<string> {
  warnRingTimeout('ring', options.rates.length * (options.warmupS + options.durationS + 5));
  const stops = stopsOnSignal('ring');
  try {
    const floor = await loopbackFloor(options.rates, FLOOR_SECONDS);
    const { emu, info, load } = await startRingHelpers(stops);
    const steps: StepResult[] = [];
    const notes: string[] = [];
    const profiles: string[] = [];
    // One deployment at a time, each with its own fixture, so that none shares the machine with another.
    for (const topology of options.topologies) {
      const label = topologyLabel(topology);
      const dep = await startDeployment(topology, info.ca, options.cpuProfile);
      stops.unshift(() => dep.stop());
      const setupStarted = Date.now();
      const fixture = await setUpFixture(dep.urls[0]!, dep.adminToken, info, options.callees);
      console.error(
        `ring: ${label}: ${options.callees} callees with 2 devices each set up in ${Date.now() - setupStarted} ms`,
      );
      const run = await runDeployment(emu, load, dep, fixture, options);
      steps.push(...run.steps);
      const work = await dep.stop(); // also writes the CPU profiles
      if (work) {
        notes.push(
          `${label}: ${(work.rowsWritten / run.calls).toFixed(1)} rows written to \`calls\` and \`deliveries\` per ` +
            `call, ${(work.commits / run.calls).toFixed(1)} transactions committed in the database per call ` +
            `(${int(run.calls)} calls, warm-ups included; the commits also count the set-up and any other session).`,
        );
      }
      const profileDir = dep.nodes[0]?.profileDir;
      if (options.cpuProfile && profileDir) profiles.push(profileReport(profileDir, label));
    }
    const charts = options.chartsDir ? [ringChart(steps, options.chartsDir)] : [];
    return [ringReport(steps, options, notes, floor), ...charts, ...profiles].join('\n\n');
  } finally {
    await stopAll(stops, 'ring');
  }
}

function profileReport(dir: string, label: string): string {
  const file = latestProfile(dir);
  if (!file) return `No CPU profile was written (${label}).`;
  const { functions, areas } = hotSpots(file, 15);
  const pct = (share: number) => `${(share * 100).toFixed(1)} %`;
  return [
    `### gateway CPU profile, ${label}, first node (${file})`,
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

/** Accepted → provider received p50 and p99 against the offered rate, one line per deployment. */
function ringChart(steps: StepResult[], dir: string): string {
  const file = writeCharts(dir, {
    'ring-latency': latencyChart({
      id: 'ring-latency',
      title: 'ring: accepted → provider received',
      subject: 'gateway deployment',
      steps: steps.map((s) => ({ series: s.deployment, rate: s.rate, latency: s.received })),
    }),
  });
  return `Chart: ${file.join(', ')}`;
}
