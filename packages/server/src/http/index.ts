export type { Principal } from './auth.js';
export type { Services } from './context.js';
export { ApiError } from './errors.js';
export { createRegistry } from './metrics.js';
export { buildHttpServer, type HttpOptions } from './server.js';
