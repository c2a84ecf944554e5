export { ProvidersService, type ProviderView } from './providers-service.js';
export { checkPushToken } from './push-tokens.js';
export {
  checkCredential,
  PROVIDER_TYPES,
  type ProviderCredential,
  ProviderCredentialSchema,
  type ProviderType,
} from './registry.js';
