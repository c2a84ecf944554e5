import type { Redis } from 'ioredis';
import type { Counter, Registry } from 'prom-client';
import { clusterMetrics } from '#infra/cluster';
import { MemoryCallRateLimiter } from './memory.js';
import { positionAt, verdictOf, WINDOW_MS, type WindowPosition } from './sliding-window.js';
import type { CallRateLimiter, RateLimits, RateLimitVerdict } from './types.js';

/**
 * Both scopes in one round trip, atomically: read the current and previous window of each limit that is on,
 * and only when neither is over (the test of `isOver`) count the call in both. A refused call counts nowhere,
 * so a caller over its limit never eats the app's budget. Keys expire two windows after their last call: by
 * then they are no window's "previous" any more.
 * KEYS: app current, app previous, caller current, caller previous.
 * ARGV: app limit, caller limit (0 = off), weight of the previous window, key lifetime (ms).
 */
const SCRIPT = `
local weight = tonumber(ARGV[3])
local counts = {0, 0, 0, 0}
local over = false
for i = 0, 1 do
  local limit = tonumber(ARGV[i + 1])
  if limit > 0 then
    counts[2 * i + 1] = tonumber(redis.call('GET', KEYS[2 * i + 1]) or '0')
    counts[2 * i + 2] = tonumber(redis.call('GET', KEYS[2 * i + 2]) or '0')
    if counts[2 * i + 2] * weight + counts[2 * i + 1] + 1 > limit then over = true end
  end
end
if not over then
  for i = 0, 1 do
    if tonumber(ARGV[i + 1]) > 0 then
      redis.call('INCR', KEYS[2 * i + 1])
      redis.call('PEXPIRE', KEYS[2 * i + 1], ARGV[4])
    end
  end
end
return counts
`;

/** ioredis defines the command on the shared connection: a name no other script there will take. */
const COMMAND = 'callpushCallRateLimit';

type Script = (...keysThenArgs: string[]) => Promise<number[]>;

/** Longest wait on Redis per check: a call never waits on a sick Redis longer than this. */
const TIMEOUT_MS = 100;

const DEGRADED_REASON = 'rate_limit_redis';

/**
 * Limits shared by every node through Redis. A Redis that errors or is slower than `TIMEOUT_MS` never fails or
 * delays a call: that check falls back to this node's own counts and is counted as degraded.
 */
export class RedisCallRateLimiter implements CallRateLimiter {
  private readonly script: Script;
  private readonly fallback: MemoryCallRateLimiter;
  private readonly degraded: Counter<'reason'>;

  constructor(
    private readonly redis: Redis,
    registry: Registry,
    private readonly limits: RateLimits,
    private readonly now: () => number = Date.now,
  ) {
    redis.defineCommand(COMMAND, { numberOfKeys: 4, lua: SCRIPT });
    this.script = (redis as unknown as Record<typeof COMMAND, Script>)[COMMAND].bind(redis);
    this.fallback = new MemoryCallRateLimiter(limits, now);
    this.degraded = clusterMetrics(registry).degraded;
    // Exported at 0 from the start, so a dashboard sees the series before the first fallback.
    this.degraded.inc({ reason: DEGRADED_REASON }, 0);
  }

  async check(appKey: string, caller: string): Promise<RateLimitVerdict> {
    const position = positionAt(this.now());
    let counts: number[];
    try {
      counts = await withTimeout(this.count(appKey, caller, position), TIMEOUT_MS);
    } catch {
      this.degraded.inc({ reason: DEGRADED_REASON });
      return this.fallback.check(appKey, caller);
    }
    const [appCurrent = 0, appPrevious = 0, callerCurrent = 0, callerPrevious = 0] = counts;
    return verdictOf(
      this.limits,
      {
        app: { current: appCurrent, previous: appPrevious },
        caller: { current: callerCurrent, previous: callerPrevious },
      },
      position,
    );
  }

  /** Runs the script: the counts it saw, [app current, app previous, caller current, caller previous]. */
  private async count(appKey: string, caller: string, { index, previousWeight }: WindowPosition): Promise<number[]> {
    // While disconnected, ioredis would queue the script until it reconnects: skip it rather than pile up one
    // queued command per call. `wait` is a lazy connection not yet asked to connect.
    if (this.redis.status !== 'ready' && this.redis.status !== 'wait') throw new Error('redis is not connected');
    // The hash tag keeps one app's keys in one slot, as a script touching several keys needs on a cluster.
    const base = `callpush:rl:{${appKey}}`;
    return this.script(
      `${base}:app:${index}`,
      `${base}:app:${index - 1}`,
      // The caller id goes last: whatever it holds, the window index before it keeps keys unambiguous.
      `${base}:caller:${index}:${caller}`,
      `${base}:caller:${index - 1}:${caller}`,
      String(this.limits.app),
      String(this.limits.caller),
      String(previousWeight),
      String(2 * WINDOW_MS),
    );
  }
}

/** `promise`, or a rejection after `ms`. A late answer is dropped; a late rejection is handled by the race. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('redis rate limit timed out')), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
