import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import { MemoryCallRateLimiter } from './memory.js';
import { RedisCallRateLimiter } from './redis.js';
import { ALLOWED, type CallRateLimiter } from './types.js';

export interface CallRateLimiterOptions {
  /** Shares the limits across nodes; without it each node limits on its own. */
  redis?: Redis;
  /** Where the degraded counter goes. */
  registry: Registry;
  /** 0 turns a limit off. */
  appPerMinute: number;
  callerPerMinute: number;
  now?: () => number;
}

/** The call rate limiter for this configuration: shared through Redis when there is one. */
export function createCallRateLimiter(options: CallRateLimiterOptions): CallRateLimiter {
  const limits = { app: options.appPerMinute, caller: options.callerPerMinute };
  if (limits.app === 0 && limits.caller === 0) return { check: async () => ALLOWED };
  return options.redis
    ? new RedisCallRateLimiter(options.redis, options.registry, limits, options.now)
    : new MemoryCallRateLimiter(limits, options.now);
}
