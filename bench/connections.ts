import { mintAccessToken } from '@callpush/server';
import { type GatewayProcess, startGatewayProcess } from './lib/gateway.js';
import { forkRpc, type Rpc } from './lib/ipc.js';
import type { LoadResult, loadgenHandlers } from './lib/loadgen-process.js';
import { cpuShares, cpuTimes } from './lib/machine.js';
import { histogram, loopDelayMs, type Sample, scrape, total } from './lib/prometheus.js';
import { createApp } from './lib/setup.js';
import type { ConnectResult, Device, FleetStats, socketHandlers } from './lib/socket-process.js';
import { histogramDelta, histogramQuantile, type Summary, summarize } from './lib/stats.js';
import { int, markdownTable, ms } from './lib/table.js';
import { waitForCount } from './lib/wait.js';

/**
 * `npm run bench -- connections`: what idle active connections (`GET /v1/connect`) cost the gateway. The
 * gateway (built CLI, SQLite) runs alone in its process with a memory probe; the sockets are opened from two
 * client processes, each a hello with a user token minted offline, and then idle, answering pings. Memory is
 * read after a forced full GC before connecting, with every socket ready and idle, and after they all closed.
 * Then a few calls ring some of the connected users, to time a ring over the socket.
 */

export interface ConnectionsOptions {
  sockets: number;
  /** The gateway's ping interval (`CALLPUSH_HEARTBEAT_SECONDS`). */
  heartbeatS: number;
  /** Calls placed while every socket is connected, one callee each (0: none). */
  calls: number;
}

/** Sockets per user: each user is one token shared by this many devices, as a user's phone, tablet, tabs. */
const DEVICES_PER_USER = 10;
const CLIENT_PROCESSES = 2;
/** Sockets each client process has between creation and `ready` at once. */
const CONNECT_CONCURRENCY = 100;
/** Calls per second when ringing: a rate the ring bench shows the gateway takes without queueing. */
const RING_RATE = 100;
/** File descriptors the gateway needs besides the sockets (SQLite, listeners, stdio). */
const SPARE_FDS = 200;
/** Client sockets per loopback source address, well inside the ephemeral port range. */
const SOCKETS_PER_ADDRESS = 15_000;

/** The gateway's event-loop delay since the previous scrape, ms. */
const loopDelay = (samples: Sample[]) => ({ p99: loopDelayMs(samples, 'p99'), max: loopDelayMs(samples, 'max') });

type Fleet = Rpc<typeof socketHandlers>;
type Load = Rpc<typeof loadgenHandlers>;

interface MemoryPoint {
  label: string;
  usage: NodeJS.MemoryUsage;
  /** `callpush_active_connections` at the same moment. */
  gauge: number;
}

interface RingResult {
  load: LoadResult;
  /** Call created (its `createdAt`) → ring frame received by the socket, ms. */
  frame: Summary;
  /** The gateway's own part: accepted → frame written (`callpush_ring_dispatch_seconds`), ms. */
  written: { p50: number; p99: number };
  /** The gateway's event-loop delay p99 / max while ringing, ms. */
  loop: { p99: number; max: number };
  /** Machine busy and stolen while ringing, % of all CPUs. */
  machine: { busy: number; steal: number };
  expected: number;
}

/**
 * Loopback source addresses for `sockets` client sockets: one address and port pair per socket toward the
 * gateway's one address and port, so one source address gives at most the ephemeral port range (about 28,000
 * on Linux); every 127.x.y.z is the loopback interface.
 */
function sourceAddresses(sockets: number): string[] {
  return Array.from({ length: Math.ceil(sockets / SOCKETS_PER_ADDRESS) }, (_, i) => `127.0.${i >> 8}.${(i & 255) + 1}`);
}

async function memoryPoint(gw: GatewayProcess, label: string): Promise<MemoryPoint> {
  const usage = await gw.memory();
  const gauge = total(await scrape(gw.url), 'callpush_active_connections');
  console.error(
    `connections: ${label}: RSS ${mib(usage.rss)} MiB, heap ${mib(usage.heapUsed)} MiB, ${gauge} connections`,
  );
  return { label, usage, gauge };
}

async function fleetStats(fleets: Fleet[]): Promise<FleetStats> {
  const all = await Promise.all(fleets.map((f) => f.call('stats', undefined, 10_000)));
  const closes: Record<string, number> = {};
  for (const s of all) for (const [code, n] of Object.entries(s.closes)) closes[code] = (closes[code] ?? 0) + n;
  const sum = (pick: (s: FleetStats) => number) => all.reduce((n, s) => n + pick(s), 0);
  return { open: sum((s) => s.open), pings: sum((s) => s.pings), rings: sum((s) => s.rings), closes };
}

async function ring(
  gw: GatewayProcess,
  fleets: Fleet[],
  load: Load,
  auth: string,
  callees: string[],
): Promise<RingResult> {
  const durationMs = (1000 * callees.length) / RING_RATE;
  const spec = {
    urls: [gw.url],
    auth,
    caller: 'bench-caller',
    callees,
    rate: RING_RATE,
    durationMs,
    ringTimeoutSeconds: 60,
    maxInflight: callees.length,
    requestTimeoutMs: 10_000,
  };
  // The loop delay gauges cover the time since the previous scrape: this one starts the ringing window.
  const m0 = await scrape(gw.url);
  const machine0 = cpuTimes();
  const result = await load.call('run', spec, durationMs + 30_000);
  const m1 = await scrape(gw.url);
  const machine = cpuShares(machine0, cpuTimes());
  const expected = result.accepted * DEVICES_PER_USER;
  await waitForCount(async () => (await fleetStats(fleets)).rings, expected, 15_000);
  const received = (await Promise.all(fleets.map((f) => f.call('drainRings', undefined, 10_000)))).flat();
  const createdAt = new Map(result.calls);
  const latencies = received.flatMap(([callId, at]) => {
    const created = createdAt.get(callId);
    return created === undefined ? [] : [at - created];
  });
  const dispatch = histogramDelta(
    histogram(m1, 'callpush_ring_dispatch_seconds'),
    histogram(m0, 'callpush_ring_dispatch_seconds'),
  );
  return {
    load: result,
    frame: summarize(latencies),
    expected,
    written: { p50: histogramQuantile(dispatch, 0.5) * 1000, p99: histogramQuantile(dispatch, 0.99) * 1000 },
    loop: loopDelay(m1),
    machine,
  };
}

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
const perSocket = (bytes: number, sockets: number) => `${int(bytes / sockets)} B`;

function errorsCell(failures: Record<string, number>): string {
  const parts = Object.entries(failures).map(([why, n]) => `${why}: ${n}`);
  return parts.length ? parts.join(', ') : '0';
}

export async function connectionsBench(options: ConnectionsOptions): Promise<string> {
  // The gateway holds every socket, each client process its share: their open-files limits are raised to
  // that (up to the machine's hard limit; beyond it the gateway, started first, is refused).
  const gatewayFiles = options.sockets + SPARE_FDS;
  const clientFiles = Math.ceil(options.sockets / CLIENT_PROCESSES) + SPARE_FDS;
  const addresses = sourceAddresses(options.sockets);
  const users = Array.from({ length: Math.ceil(options.sockets / DEVICES_PER_USER) }, (_, i) => `user-${i}`);
  if (options.calls > users.length) throw new Error(`--calls ${options.calls}: there are ${users.length} users`);
  const stops: Array<() => Promise<void>> = [];
  try {
    const gw = await startGatewayProcess({
      memoryProbe: true,
      env: { CALLPUSH_HEARTBEAT_SECONDS: String(options.heartbeatS) },
      openFiles: gatewayFiles,
    });
    stops.push(() => gw.stop());
    const fleets: Fleet[] = [];
    for (let i = 0; i < CLIENT_PROCESSES; i++) {
      const fleet = await forkRpc<typeof socketHandlers>(
        new URL('./lib/socket-process.ts', import.meta.url),
        [],
        30_000,
        clientFiles,
      );
      stops.unshift(() => fleet.stop());
      fleets.push(fleet);
    }
    const load = await forkRpc<typeof loadgenHandlers>(
      new URL('./lib/loadgen-process.ts', import.meta.url),
      [],
      30_000,
    );
    stops.unshift(() => load.stop());

    const app = await createApp(gw.url, gw.adminToken);
    // Minted offline with the app secret, as an app backend may: the gateway only verifies them (namespace and
    // longest lifetime are the gateway's defaults).
    const tokens = await Promise.all(
      users.map(async (userId) => {
        const minted = await mintAccessToken(
          { namespace: 'callpush', maxLifetimeSeconds: 86_400 },
          { appKey: app.key, appSecret: app.secret, userId, ttlSeconds: 3600 },
        );
        return minted.accessToken;
      }),
    );
    const devices: Device[] = Array.from({ length: options.sockets }, (_, i) => ({
      token: tokens[Math.floor(i / DEVICES_PER_USER)]!,
      deviceId: `device-${i % DEVICES_PER_USER}`,
    }));

    const before = await memoryPoint(gw, 'before connecting');
    const m0 = await scrape(gw.url);
    const machine0 = cpuTimes();
    const url = `${gw.url.replace(/^http/, 'ws')}/v1/connect`;
    const results: ConnectResult[] = await Promise.all(
      fleets.map((fleet, k) =>
        fleet.call(
          'connect',
          {
            url,
            devices: devices.filter((_, i) => i % CLIENT_PROCESSES === k),
            localAddresses: addresses,
            concurrency: CONNECT_CONCURRENCY,
            timeoutMs: 30_000,
          },
          10 * 60_000,
        ),
      ),
    );
    const machine = cpuShares(machine0, cpuTimes());
    const m1 = await scrape(gw.url);
    const ready = results.reduce((n, r) => n + r.ready, 0);
    const elapsedMs = Math.max(...results.map((r) => r.elapsedMs));
    const failures: Record<string, number> = {};
    for (const r of results)
      for (const [why, n] of Object.entries(r.failures)) failures[why] = (failures[why] ?? 0) + n;
    const readyMs = summarize(results.flatMap((r) => r.readyMs));
    const connectCpuS = total(m1, 'process_cpu_seconds_total') - total(m0, 'process_cpu_seconds_total');
    console.error(`connections: ${ready}/${options.sockets} ready in ${(elapsedMs / 1000).toFixed(1)} s`);

    // Idle through one full heartbeat interval, so that every socket has been pinged and has answered.
    const idleS = options.heartbeatS + 2;
    await new Promise((r) => setTimeout(r, idleS * 1000));
    const idle = await fleetStats(fleets);
    // Read before the probe's forced GC, which would show as a stall; each scrape restarts the measurement.
    const loop = { connect: loopDelay(m1), idle: loopDelay(await scrape(gw.url)) };
    const connected = await memoryPoint(gw, `${int(ready)} ready, idle ${idleS} s`);

    const rang = options.calls > 0 ? await ring(gw, fleets, load, app.auth, users.slice(0, options.calls)) : undefined;

    await Promise.all(fleets.map((f) => f.call('closeAll', { timeoutMs: 10_000 }, 20_000)));
    // Sockets the gateway has let go of: the hub counts a socket out when its close completes.
    await waitForCount(async () => ready - total(await scrape(gw.url), 'callpush_active_connections'), ready, 10_000);
    const after = await memoryPoint(gw, 'after every socket closed');

    return report(options, {
      points: [before, connected, after],
      ready,
      failures,
      elapsedMs,
      readyMs,
      connectCpuS,
      machine,
      idleS,
      idle,
      loop,
      rang,
    });
  } finally {
    for (const stop of stops) {
      await stop().catch((err: unknown) => console.error(`connections: cleanup failed: ${err}`));
    }
  }
}

interface Measured {
  points: [MemoryPoint, MemoryPoint, MemoryPoint];
  ready: number;
  failures: Record<string, number>;
  elapsedMs: number;
  readyMs: Summary;
  connectCpuS: number;
  machine: { busy: number; steal: number };
  idleS: number;
  idle: FleetStats;
  loop: Record<'connect' | 'idle', { p99: number; max: number }>;
  rang: RingResult | undefined;
}

function report(options: ConnectionsOptions, m: Measured): string {
  const [before, connected] = m.points;
  const extra = (u: NodeJS.MemoryUsage) => u.external + u.arrayBuffers;
  const memory = markdownTable(
    [
      'gateway process',
      'RSS MiB',
      'JS heap used MiB (heap total)',
      'external + array buffers MiB',
      'active connections gauge',
    ],
    [
      ...m.points.map((p) => [
        p.label,
        mib(p.usage.rss),
        `${mib(p.usage.heapUsed)} (${mib(p.usage.heapTotal)})`,
        mib(extra(p.usage)),
        int(p.gauge),
      ]),
      [
        '**per connection** (ready − before)',
        `**${perSocket(connected.usage.rss - before.usage.rss, m.ready)}**`,
        `**${perSocket(connected.usage.heapUsed - before.usage.heapUsed, m.ready)}**`,
        perSocket(extra(connected.usage) - extra(before.usage), m.ready),
        '',
      ],
    ],
  );
  const closes = Object.entries(m.idle.closes).map(([code, n]) => `${code}: ${n}`);
  const connect = markdownTable(
    [
      'sockets',
      'ready',
      'failed',
      'to ready: sockets/s',
      'socket created → ready p50 / p99 / max ms',
      'gateway CPU per socket',
      'machine busy / stolen',
      `open after idle ${m.idleS} s (pings answered)`,
      'closed by the gateway',
      'gateway event-loop delay p99 / max ms: connecting · idle',
    ],
    [
      [
        int(options.sockets),
        int(m.ready),
        errorsCell(m.failures),
        int(m.ready / (m.elapsedMs / 1000)),
        `${ms(m.readyMs.p50)} / ${ms(m.readyMs.p99)} / ${ms(m.readyMs.max)}`,
        `${((1e6 * m.connectCpuS) / Math.max(1, m.ready)).toFixed(0)} µs`,
        `${m.machine.busy.toFixed(0)} % / ${m.machine.steal.toFixed(0)} %`,
        `${int(m.idle.open)} (${int(m.idle.pings)})`,
        closes.length ? closes.join(', ') : '0',
        `${ms(m.loop.connect.p99)} / ${ms(m.loop.connect.max)} · ${ms(m.loop.idle.p99)} / ${ms(m.loop.idle.max)}`,
      ],
    ],
  );
  const sections = [
    `### connections: ${int(options.sockets)} idle sockets (${DEVICES_PER_USER} devices per user), heartbeat ${options.heartbeatS} s`,
    '',
    memory,
    '',
    connect,
  ];
  if (m.rang) {
    const r = m.rang;
    const post = summarize(r.load.latencyMs);
    sections.push(
      '',
      markdownTable(
        [
          'calls (ring frames)',
          'POST /v1/calls p50 / p99 ms',
          'accepted → ring frame received p50 / p99 / max ms',
          'of which the gateway: accepted → frame written p50 / p99 ms',
          'gateway event-loop delay p99 / max ms',
          'machine busy / stolen',
          'frames missing',
          'errors',
        ],
        [
          [
            `${int(r.load.accepted)} at ${RING_RATE}/s (${int(r.frame.n)})`,
            `${ms(post.p50)} / ${ms(post.p99)}`,
            `${ms(r.frame.p50)} / ${ms(r.frame.p99)} / ${ms(r.frame.max)}`,
            `${ms(r.written.p50)} / ${ms(r.written.p99)}`,
            `${ms(r.loop.p99)} / ${ms(r.loop.max)}`,
            `${r.machine.busy.toFixed(0)} % / ${r.machine.steal.toFixed(0)} %`,
            int(r.expected - r.frame.n),
            errorsCell(r.load.failures),
          ],
        ],
      ),
    );
  }
  sections.push(
    '',
    'Memory: `process.memoryUsage()` of the gateway after two forced full GCs (`--expose-gc`), read through a ' +
      'probe loaded with `--import`; per connection = (ready − before) / ready sockets, so one-off costs of the ' +
      'first connection (code, JIT) count too. Sockets opened from ' +
      `${CLIENT_PROCESSES} client processes, ${CONNECT_CONCURRENCY} handshakes at once each; sockets/s = ready / ` +
      'the slower process’s time from its first socket to its last `ready`. Gateway CPU: ' +
      '`process_cpu_seconds_total` over the connect phase. Machine busy and stolen in % of all CPUs over the ' +
      'connect phase. Ring frames: the call’s `createdAt` to the client’s `Date.now()` at the frame, whole ' +
      'milliseconds; every callee has all its devices connected. Of which the gateway: its histogram ' +
      '`callpush_ring_dispatch_seconds` over the ringing (the call accepted → the frame handed to the socket), ' +
      'quantiles interpolated in its buckets (0.5, 1, 2, 5 ms, …); the rest is the socket, the client ' +
      'process’s event loop and the scheduler.',
  );
  return sections.join('\n');
}
