import http from 'node:http';
import { serveRpc } from './ipc.js';

/**
 * Bench helper process: an open-loop load generator. Calls are sent on a fixed schedule (call i at
 * start + i/rate) whether or not earlier ones were answered, over keep-alive connections, so a slow gateway
 * shows up as latency instead of silently lowering the offered rate. Latency is measured from the scheduled
 * time (no coordinated omission). Bounded: exactly rate × duration calls, a cap on calls in flight, a
 * per-request timeout and a hard end to the wait for the last answers.
 */

export interface LoadSpec {
  /** Gateway nodes; call i goes to node i mod n, as a round-robin load balancer would send it. */
  urls: string[];
  /** Where calls are posted on each node (default `/v1/calls`); the answer is `201 {callId, createdAt}`. */
  path?: string;
  /** `Authorization` header value (app Basic credentials). */
  auth: string;
  caller: string;
  callees: string[];
  /** Calls per second, offered. */
  rate: number;
  durationMs: number;
  ringTimeoutSeconds: number;
  /** Calls in flight beyond which the generator gives up on the call (counted, not sent). */
  maxInflight: number;
  requestTimeoutMs: number;
}

export interface LoadResult {
  offered: number;
  /** 201 answers. */
  accepted: number;
  /** Non-201 answers by status; network errors, calls given up on and calls not sent (over the cap) by reason. */
  failures: Record<string, number>;
  /** Scheduled send → whole 201 answer read, ms, one per accepted call. */
  latencyMs: number[];
  /** How late each call left against its schedule, ms (the generator's own lag). */
  lagMs: number[];
  /** [callId, createdAt] of every accepted call. */
  calls: Array<[string, number]>;
  /** Wall time from the first scheduled send to the last answer, ms. */
  elapsedMs: number;
  /** CPU time this process spent in the run, µs. */
  cpuMicros: number;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 256, scheduling: 'fifo' });

const pending = new Set<http.ClientRequest>();

function post(spec: LoadSpec, url: URL, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          authorization: spec.auth,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
        timeout: spec.requestTimeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    pending.add(req);
    req.on('close', () => pending.delete(req));
    req.on('timeout', () => req.destroy(new Error('request timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

async function run(spec: LoadSpec): Promise<LoadResult> {
  const targets = spec.urls.map((u) => new URL(spec.path ?? '/v1/calls', u));
  const total = Math.round((spec.rate * spec.durationMs) / 1000);
  const interval = 1000 / spec.rate;
  const result: LoadResult = {
    offered: total,
    accepted: 0,
    failures: {},
    latencyMs: [],
    lagMs: [],
    calls: [],
    elapsedMs: 0,
    cpuMicros: 0,
  };
  const fail = (why: string) => {
    result.failures[why] = (result.failures[why] ?? 0) + 1;
  };
  const cpu0 = process.cpuUsage();
  const start = performance.now() + 5;
  let lastAnswer = start;
  let inflight = 0;
  const answers: Array<Promise<void>> = [];
  let givenUp = false;

  const fire = (i: number, scheduled: number) => {
    const sentAt = performance.now();
    result.lagMs.push(sentAt - scheduled);
    if (inflight >= spec.maxInflight) return fail(`not sent (${spec.maxInflight} in flight)`);
    inflight++;
    const body = JSON.stringify({
      from: spec.caller,
      to: [spec.callees[i % spec.callees.length]],
      displayName: 'Bench Caller',
      headers: { room: `r-${i}` },
      ringTimeoutSeconds: spec.ringTimeoutSeconds,
    });
    answers.push(
      post(spec, targets[i % targets.length]!, body).then(
        ({ status, text }) => {
          inflight--;
          const now = performance.now();
          lastAnswer = Math.max(lastAnswer, now);
          if (status !== 201) return fail(String(status));
          const { callId, createdAt } = JSON.parse(text) as { callId: string; createdAt: number };
          result.accepted++;
          result.latencyMs.push(now - scheduled);
          result.calls.push([callId, createdAt]);
        },
        () => {
          inflight--;
          fail(givenUp ? 'no answer in time' : 'network error');
        },
      ),
    );
  };

  // The schedule: wake when the next call is due and send every call that is due by then.
  await new Promise<void>((resolve) => {
    let next = 0;
    const tick = () => {
      const now = performance.now();
      while (next < total && start + next * interval <= now) {
        fire(next, start + next * interval);
        next++;
      }
      if (next >= total) return resolve();
      setTimeout(tick, Math.max(0, start + next * interval - performance.now()));
    };
    setTimeout(tick, Math.max(0, start - performance.now()));
  });
  // Requests still queued in the agent have no socket timeout yet: give every call the same last chance.
  const settled = Promise.allSettled(answers);
  await Promise.race([settled, new Promise((resolve) => setTimeout(resolve, spec.requestTimeoutMs).unref())]);
  givenUp = true;
  for (const req of pending) req.destroy(new Error('given up'));
  await settled;
  result.elapsedMs = lastAnswer - start;
  const cpu = process.cpuUsage(cpu0);
  result.cpuMicros = cpu.user + cpu.system;
  return result;
}

export const loadgenHandlers = { run: (spec: LoadSpec) => run(spec) };

serveRpc(loadgenHandlers, { pid: process.pid }, async () => {
  agent.destroy();
});
