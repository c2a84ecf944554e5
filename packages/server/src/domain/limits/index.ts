export { admitCall } from './admit.js';
export { type CallRateLimiterOptions, createCallRateLimiter } from './create.js';
export { MemoryCallRateLimiter } from './memory.js';
export type { CallRateLimiter, RateLimitScope, RateLimitVerdict } from './types.js';
