export { type Config, ConfigError, readConfigFile, resolveConfig } from './load.js';
export { type OptionEnv, type OptionSpec, SERVE_OPTIONS } from './options.js';
