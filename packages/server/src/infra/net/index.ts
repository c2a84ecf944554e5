export { HttpClient, type HttpResponse, REQUEST_TIMEOUT_MS } from './http-client.js';
export { SessionPool } from './http2-pool.js';
