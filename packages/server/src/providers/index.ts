export { type ApnsCredential, SANDBOX_APNS_TOPIC } from './apns/index.js';
export { type ClientPoolDeps, type ClientPoolSettings, ProviderClientPool } from './client-pool.js';
export type {
  ApnsEnvironment,
  AppIdentity,
  EndpointSettings,
  ProviderClient,
  ProviderClientOptions,
  ProviderModule,
  PushNotification,
  PushOutcome,
  PushRequest,
  PushTarget,
  RegistrationChoices,
  WebPushFormat,
} from './contract.js';
export { type FcmCredential, MESSAGING_SCOPE, serviceAccountTokenFetcher } from './fcm/index.js';
export {
  appIssuer,
  applicationKeyName,
  CALLBACK_TOLERANCE_MS,
  type CallbackSecret,
  CLIENT_ASSERTION_TYPE,
  HMS_SCOPE,
  type HmsCredential,
  type HmsReceiptKind,
  hmsCallbackValue,
  hmsReceiptStatus,
  hmsTokenFetcher,
  MAX_ASSERTION_LIFETIME_SECONDS,
  verifyHmsCallbackId,
} from './hms/index.js';
export { checkUrl, ProviderAuthError, retryAfterMs, TokenCache } from './kit/index.js';
export { ProviderMetrics } from './metrics.js';
export { type ProvidersDeps, ProvidersService, type ProviderView } from './providers-service.js';
export {
  type CredentialOf,
  checkCredential,
  checkPushToken,
  createProviderClient,
  PROVIDER_TYPES,
  PROVIDERS,
  type ProviderCredential,
  ProviderCredentialSchema,
  type ProviderType,
  providerModule,
} from './registry.js';
