export { Authenticator, type AuthenticatorDeps, type AuthenticatorSettings, type Principal } from './authenticator.js';
export { buildHttpServer, type HttpDeps, type HttpSettings } from './server.js';
