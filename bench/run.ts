import { parseArgs } from 'node:util';
import { connectionsBench } from './connections.js';
import { fcmBench } from './fcm.js';
import { firstRingBench } from './first-ring.js';
import { parseTopologies } from './lib/deployment.js';
import { describeMachine } from './lib/machine.js';
import { recipeBench } from './recipe.js';
import { ringBench } from './ring.js';

/**
 * `npm run bench -- <ring|recipe|first-ring|fcm|connections> [options]` (all of them when no name is given). Prints Markdown on stdout, progress on
 * stderr. Everything runs on loopback; every helper process is stopped on the way out.
 */

const USAGE = `usage: npm run bench -- [ring|recipe|first-ring|fcm|connections] [options]
ring:  --rates 100,500,1000  --duration 10 (s per rate)  --warmup 2 (s per rate)  --callees 500  --cpu-prof
       --nodes sqlite (deployments, each in turn: sqlite = one node on SQLite; N = N nodes on PostgreSQL + Redis,
       e.g. sqlite,1,2; CALLPUSH_BENCH_DATABASE_URL, CALLPUSH_BENCH_REDIS_URL)  --charts <dir> (SVG latency chart)
recipe:  callpush vs a hand-written server, alternating: --rates 300,600,900  --duration 10  --warmup 2
       --callees 500  --charts <dir>
first-ring:  --trials 3 (fresh gateway processes)  --idle 5 (s before the last call of each trial)
fcm:   --messages 10000  --concurrency 100,500  --batch 500  --rounds 3  --latency 0,50 (ms, one scenario each)
connections:  --sockets 10000  --heartbeat 25 (s)  --calls 100 (rung over the sockets; 0: none)`;

const list = (s: string) => s.split(',').map((x) => Number(x.trim()));

function positive(name: string, values: number[]): number[] {
  if (values.length === 0 || values.some((v) => !Number.isFinite(v) || v <= 0)) {
    throw new Error(`--${name} wants positive numbers\n${USAGE}`);
  }
  return values;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rates: { type: 'string' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    callees: { type: 'string', default: '500' },
    'cpu-prof': { type: 'boolean', default: false },
    nodes: { type: 'string', default: 'sqlite' },
    messages: { type: 'string', default: '10000' },
    latency: { type: 'string', default: '0,50' },
    concurrency: { type: 'string', default: '100,500' },
    batch: { type: 'string', default: '500' },
    rounds: { type: 'string', default: '3' },
    sockets: { type: 'string', default: '10000' },
    heartbeat: { type: 'string', default: '25' },
    calls: { type: 'string', default: '100' },
    charts: { type: 'string' },
    trials: { type: 'string', default: '3' },
    idle: { type: 'string', default: '5' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const BENCHMARKS = ['ring', 'recipe', 'first-ring', 'fcm', 'connections'];
const which = positionals.length ? positionals : BENCHMARKS;
const unknown = which.filter((w) => !BENCHMARKS.includes(w));
if (unknown.length) {
  console.error(`unknown benchmark ${unknown.join(', ')}\n${USAGE}`);
  process.exit(2);
}

const one = (name: string, v: string) => positive(name, [Number(v)])[0]!;
const sections = [`## callpush benchmarks, ${new Date().toISOString()}`, '', describeMachine()];
const started = Date.now();
for (const name of which) {
  if (name === 'ring') {
    sections.push(
      '',
      await ringBench({
        topologies: parseTopologies(values.nodes),
        rates: positive('rates', list(values.rates ?? '100,500,1000')),
        durationS: one('duration', values.duration),
        warmupS: one('warmup', values.warmup),
        callees: one('callees', values.callees),
        cpuProfile: values['cpu-prof'],
        ...(values.charts ? { chartsDir: values.charts } : {}),
      }),
    );
  } else if (name === 'recipe') {
    sections.push(
      '',
      await recipeBench({
        rates: positive('rates', list(values.rates ?? '300,600,900')),
        durationS: one('duration', values.duration),
        warmupS: one('warmup', values.warmup),
        callees: one('callees', values.callees),
        ...(values.charts ? { chartsDir: values.charts } : {}),
      }),
    );
  } else if (name === 'first-ring') {
    const idleS = Number(values.idle);
    if (!Number.isFinite(idleS) || idleS < 0 || idleS > 3600) throw new Error(`--idle wants 0–3600 s\n${USAGE}`);
    const trials = one('trials', values.trials);
    if (!Number.isInteger(trials) || trials > 20) throw new Error(`--trials wants a whole number 1–20\n${USAGE}`);
    sections.push('', await firstRingBench({ idleS, trials }));
  } else if (name === 'connections') {
    const calls = Number(values.calls);
    if (!Number.isInteger(calls) || calls < 0) throw new Error(`--calls wants a whole number ≥ 0\n${USAGE}`);
    sections.push(
      '',
      await connectionsBench({
        sockets: one('sockets', values.sockets),
        heartbeatS: one('heartbeat', values.heartbeat),
        calls,
      }),
    );
  } else {
    const batch = one('batch', values.batch);
    if (batch > 500) throw new Error('--batch: sendEach takes at most 500 messages');
    sections.push(
      '',
      await fcmBench({
        messages: one('messages', values.messages),
        concurrency: positive('concurrency', list(values.concurrency)),
        batch,
        rounds: one('rounds', values.rounds),
        latencies: list(values.latency).map((v) => {
          if (!Number.isInteger(v) || v < 0) throw new Error(`--latency wants whole milliseconds ≥ 0\n${USAGE}`);
          return v;
        }),
      }),
    );
  }
}
sections.push('', `(${((Date.now() - started) / 1000).toFixed(0)} s)`);
console.log(sections.join('\n'));
