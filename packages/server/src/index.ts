export { emulatorProviderCredentials } from '#edges/sandbox';
export { type Config, ConfigError, resolveConfig, SERVE_OPTIONS } from '#infra/config';
export { mintAccessToken, verifyAccessToken } from '#infra/tokens';
export { type Gateway, type GatewayOptions, startGateway } from './gateway.js';
