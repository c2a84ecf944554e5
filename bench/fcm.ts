import { randomUUID } from 'node:crypto';
import http2 from 'node:http2';
import { deleteApp, initializeApp } from 'firebase-admin/app';
import { getMessaging, type Message } from 'firebase-admin/messaging';
import { redirectFirebaseHttp2 } from '../packages/emulators/test/support/firebase-h2.js';
import type { RingMessage } from '../packages/server/src/kernel/wire.js';
import type { PushRequest, PushTarget } from '../packages/server/src/providers/contract.js';
import { createFcmClient } from '../packages/server/src/providers/fcm/client.js';
import { fcmPayload, fcmSendBody } from '../packages/server/src/providers/fcm/message.js';
import type { EmulatorInfo, emulatorHandlers } from './lib/emulator-process.js';
import { forkRpc, type Rpc } from './lib/ipc.js';
import { cpuShares, cpuTimes } from './lib/machine.js';
import { forEachConcurrently } from './lib/pool.js';
import { int, markdownTable } from './lib/table.js';

/**
 * `npm run bench -- fcm`: the same ring messages to the same FCM emulator (TLS, HTTP/2, another process),
 * through callpush's FCM client and through firebase-admin 13's `sendEach` (its default HTTP/2 transport),
 * alternating in one run.
 */

export interface FcmOptions {
  messages: number;
  /** callpush client: sends in flight, one measurement per value. */
  concurrency: number[];
  /** firebase-admin: messages per `sendEach` call (at most 500). */
  batch: number;
  rounds: number;
  /** Provider answer times to play, ms (0: loopback as is), one scenario each. */
  latencies: number[];
}

type Emu = Rpc<typeof emulatorHandlers>;

interface Run {
  msgsPerS: number;
  delivered: number;
  failed: number;
  /** Client process and emulator process CPU per message, µs. */
  cpuPerMsg: number;
  emulatorCpuPerMsg: number;
  /** Machine busy and stolen, % of all CPUs; other processes' CPU, % of one core. */
  machine: { busy: number; steal: number; others: number };
}

interface Contender {
  name: string;
  inFlight: string;
  send(n: number): Promise<{ ok: number; failed: number }>;
}

/** One ring message per device, as the dispatcher builds them; both clients send exactly these. */
function ringMessages(n: number): Array<{ target: PushTarget; request: PushRequest }> {
  const now = Date.now();
  return Array.from({ length: n }, (_, i) => {
    const callId = `c_bench${i.toString(36).padStart(8, '0')}`;
    const message: RingMessage = {
      v: 1,
      type: 'call.ring',
      callId,
      app: 'bench',
      from: 'bench-caller',
      to: `callee-${i}`,
      displayName: 'Bench Caller',
      video: false,
      headers: { room: `r-${i}` },
      sentAt: now,
      // Far enough that no run of the bench reaches it (the client refuses to send past the deadline).
      expiresAt: now + 600_000,
    };
    return {
      target: { deviceId: 'android', token: `bench-fcm-${i}:APA91b`, kind: 'alert' as const },
      request: { message, deadline: message.expiresAt, collapseId: callId },
    };
  });
}

function callpushContender(info: EmulatorInfo, concurrency: number, messages: ReturnType<typeof ringMessages>) {
  const client = createFcmClient(
    { type: 'fcm', serviceAccount: info.fcm.serviceAccount, endpoint: info.fcm.baseUrl },
    // The emulator listens on loopback, which the endpoint policy refuses unless the operator allows it.
    { ca: info.ca, allowPrivateEndpoints: true },
  );
  const contender: Contender = {
    name: 'callpush FCM client',
    inFlight: String(concurrency),
    send: async (n) => {
      let ok = 0;
      await forEachConcurrently(n, concurrency, async (i) => {
        const m = messages[i % messages.length]!;
        const [outcome] = await client.send([m.target], m.request);
        if (outcome?.kind === 'sent') ok++;
      });
      return { ok, failed: n - ok };
    },
  };
  return { contender, close: () => client.close() };
}

/** Streams one bare HTTP/2 session carries at once: the FCM emulator's limit, as FCM's. */
const BARE_STREAMS = 100;

/**
 * The floor: `node:http2` alone, one session, the request bytes of every message prepared before the clock
 * starts (the same bytes callpush's client writes), one access token fetched up front, nothing parsed beyond
 * the status. What any FCM client pays at least on this machine.
 */
async function bareContender(emu: Emu, info: EmulatorInfo, messages: ReturnType<typeof ringMessages>) {
  const { access_token: accessToken } = await emu.call('accessToken', undefined, 5000);
  const bodies = messages.map(({ target, request }) =>
    fcmSendBody(target.token, fcmPayload(request), request, Math.floor((request.deadline - Date.now()) / 1000)),
  );
  const session = http2.connect(info.fcm.baseUrl, { ca: info.ca });
  session.on('error', () => undefined);
  const headers = {
    ':method': 'POST',
    ':path': `/v1/projects/${info.fcm.projectId}/messages:send`,
    authorization: `Bearer ${accessToken}`,
    'content-type': 'application/json; charset=UTF-8',
  };
  const sendOne = (body: string) =>
    new Promise<boolean>((resolve) => {
      const stream = session.request(headers);
      let status = 0;
      stream.on('response', (h) => {
        status = Number(h[':status']);
      });
      stream.on('data', () => undefined);
      stream.on('close', () => resolve(status === 200));
      stream.on('error', () => undefined);
      stream.end(body);
    });
  const contender: Contender = {
    name: 'bare node:http2 (the floor)',
    inFlight: String(BARE_STREAMS),
    send: async (n) => {
      let ok = 0;
      await forEachConcurrently(n, BARE_STREAMS, async (i) => {
        if (await sendOne(bodies[i % bodies.length]!)) ok++;
      });
      return { ok, failed: n - ok };
    },
  };
  return { contender, close: async () => void session.close() };
}

function firebaseContender(emu: Emu, info: EmulatorInfo, batch: number, messages: ReturnType<typeof ringMessages>) {
  const restore = redirectFirebaseHttp2(info.fcm.port, info.ca);
  const app = initializeApp(
    {
      credential: { getAccessToken: () => emu.call('accessToken', undefined, 5000) },
      projectId: info.fcm.projectId,
    },
    `bench-${randomUUID()}`,
  );
  const messaging = getMessaging(app);
  const admin: Message[] = messages.map(({ target, request }) => ({
    token: target.token,
    data: { callpush: JSON.stringify(request.message) },
    // Whole seconds, as callpush sends them.
    android: {
      priority: 'high',
      ttl: Math.floor((request.deadline - Date.now()) / 1000) * 1000,
      collapseKey: request.collapseId,
    },
  }));
  const contender: Contender = {
    name: 'firebase-admin 13 sendEach (HTTP/2)',
    inFlight: `batches of ${batch}, one at a time`,
    send: async (n) => {
      let ok = 0;
      for (let from = 0; from < n; from += batch) {
        const slice = Array.from({ length: Math.min(batch, n - from) }, (_, k) => admin[(from + k) % admin.length]!);
        ok += (await messaging.sendEach(slice)).successCount;
      }
      return { ok, failed: n - ok };
    },
  };
  return {
    contender,
    close: async () => {
      await deleteApp(app);
      restore();
    },
  };
}

async function measure(emu: Emu, contender: Contender, n: number): Promise<Run> {
  await emu.call('reset', undefined, 5000);
  const emuCpu0 = await emu.call('cpu', undefined, 5000);
  const machine0 = cpuTimes();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const { ok, failed } = await contender.send(n);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const machine = cpuShares(machine0, cpuTimes());
  const emuCpu = (await emu.call('cpu', undefined, 5000)) - emuCpu0;
  const counts = await emu.call('reset', undefined, 5000);
  const pct = (micros: number) => (100 * micros) / 1e6 / seconds;
  return {
    msgsPerS: ok / seconds,
    delivered: counts.fcm,
    failed,
    cpuPerMsg: (cpu.user + cpu.system) / n,
    emulatorCpuPerMsg: emuCpu / n,
    machine: {
      busy: machine.busy,
      steal: machine.steal,
      others: machine.busyCores - pct(cpu.user + cpu.system) - pct(emuCpu),
    },
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

export async function fcmBench(options: FcmOptions): Promise<string> {
  const emu = await forkRpc<typeof emulatorHandlers>(
    new URL('./lib/emulator-process.ts', import.meta.url),
    ['--only=fcm'],
    30_000,
  );
  const closers: Array<() => Promise<void>> = [];
  try {
    const info = emu.info as EmulatorInfo;
    const messages = ringMessages(options.messages);
    const contenders: Contender[] = [];
    for (const c of options.concurrency) {
      const built = callpushContender(info, c, messages);
      contenders.push(built.contender);
      closers.push(built.close);
    }
    const bare = await bareContender(emu, info, messages);
    contenders.push(bare.contender);
    closers.push(bare.close);
    const firebase = firebaseContender(emu, info, options.batch, messages);
    contenders.push(firebase.contender);
    closers.push(firebase.close);

    const sections: string[] = [];
    for (const latency of options.latencies) {
      const tokens = messages.map((m) => m.target.token);
      await emu.call('setFcmLatency', { ms: latency, tokens }, 30_000);
      // Warm-up: JIT, TLS sessions, OAuth tokens, on both sides.
      for (const c of contenders) await measure(emu, c, Math.min(2000, options.messages));
      const runs = new Map<Contender, Run[]>(contenders.map((c) => [c, []]));
      for (let r = 0; r < options.rounds; r++) {
        // Alternate the order so neither side always runs right after the other warmed or heated the machine.
        const order = r % 2 === 0 ? contenders : [...contenders].reverse();
        for (const c of order) {
          const run = await measure(emu, c, options.messages);
          runs.get(c)!.push(run);
          console.error(
            `fcm: +${latency} ms, ${c.name} (${c.inFlight}) ${int(run.msgsPerS)} msgs/s, ${run.delivered} delivered`,
          );
        }
      }
      sections.push(fcmReport(options, latency, contenders, runs, firebase.contender));
    }
    return [
      `### fcm: ${int(options.messages)} ring messages per run, to the FCM emulator over TLS + HTTP/2 in another process`,
      '',
      sections.join('\n\n'),
      '',
      'Runs alternate between the clients in one process, after a warm-up of each. "delivered" counts what the ' +
        'emulator recorded over all measured runs. CPU per message: the bench process (the sending client) and ' +
        'the emulator process; machine busy and stolen (hypervisor steal) in % of both CPUs; other processes: busy time ' +
        'not spent by the client or the emulator, in % of one core; medians of the runs.',
    ].join('\n');
  } finally {
    for (const close of closers) await close().catch((err: unknown) => console.error(`fcm: cleanup failed: ${err}`));
    await emu.stop();
  }
}

function fcmReport(
  options: FcmOptions,
  latency: number,
  contenders: Contender[],
  runs: Map<Contender, Run[]>,
  base: Contender,
): string {
  const rate = (c: Contender) => median(runs.get(c)!.map((r) => r.msgsPerS));
  const baseline = rate(base);
  const table = markdownTable(
    [
      'client',
      'in flight',
      `msgs/s (median of ${options.rounds})`,
      'each run, msgs/s',
      '× sendEach',
      'CPU µs/msg client / emulator',
      'machine busy / stolen; other processes',
      'delivered / failed',
    ],
    contenders.map((c) => {
      const rs = runs.get(c)!;
      const med = (f: (r: Run) => number) => median(rs.map(f));
      return [
        c.name,
        c.inFlight,
        int(rate(c)),
        rs.map((r) => int(r.msgsPerS)).join(', '),
        `${(rate(c) / baseline).toFixed(2)}×`,
        `${int(med((r) => r.cpuPerMsg))} / ${int(med((r) => r.emulatorCpuPerMsg))}`,
        `${med((r) => r.machine.busy).toFixed(0)} % / ${med((r) => r.machine.steal).toFixed(0)} %; ${Math.max(
          0,
          med((r) => r.machine.others),
        ).toFixed(0)} %`,
        `${int(rs.reduce((n, r) => n + r.delivered, 0))} / ${int(rs.reduce((n, r) => n + r.failed, 0))}`,
      ];
    }),
  );
  const title =
    latency === 0
      ? '#### loopback as is: the emulator answers as fast as it can'
      : `#### the emulator answers each message after ${latency} ms, as a remote service would`;
  return `${title}\n\n${table}`;
}
