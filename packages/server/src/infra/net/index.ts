export { endpointRefusal, resolvedUrlRefusal, staticRefusal } from './endpoint-policy.js';
export { HttpClient, type HttpClientOptions, type HttpResponse, REQUEST_TIMEOUT_MS } from './http-client.js';
export { SessionPool } from './http2-pool.js';
