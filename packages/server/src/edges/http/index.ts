export { Authenticator, type AuthenticatorDeps, type AuthenticatorSettings, type Principal } from './authenticator.js';
export { buildHttpServer, closeHttpServer, type HttpDeps, type HttpSettings } from './server.js';
