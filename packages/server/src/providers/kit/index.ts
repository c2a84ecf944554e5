export { providerCode, providerId, redirectOutcome } from './answer-words.js';
export { callerOf } from './caller.js';
export { checkUrl, parsePrivateKey } from './credential-checks.js';
export { type DelegatedAConfig, delegatedATokenFetcher } from './delegated-token.js';
export { fetchAccessToken, ProviderAuthError } from './oauth.js';
export { checkOpaqueToken, checkTokenSize } from './push-token-checks.js';
export { retryAfterMs, retryOutcome } from './retry-after.js';
export { DEADLINE_PASSED, outcomeOfError, TokenRefused, timed, ttlSeconds, withReauth } from './send-kit.js';
export { type CachedToken, TokenCache } from './token-cache.js';
