export { type Config, ConfigError, resolveConfig, SERVE_OPTIONS } from './config/index.js';
export { type Gateway, type GatewayOptions, startGateway } from './gateway.js';
export { emulatorProviderCredentials } from './sandbox/index.js';
export { mintAccessToken, verifyAccessToken } from './tokens/index.js';
