export {
  type AuthServerConfig,
  AuthServerConfigError,
  parseAuthServerConfig,
  readAuthServerConfig,
} from './config.js';
export { type AuthServerOptions, buildAuthServer, startAuthServer } from './server.js';
