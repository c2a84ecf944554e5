/**
 * Every setting of `callpush serve`, defined once: the environment variable, the CLI flag, the config-file key
 * (the same name as the variable) and the help text all come from this table.
 */
export interface OptionSpec {
  env: string;
  flag: string;
  description: string;
  kind: 'string' | 'int' | 'boolean';
  default?: string;
  /** Never printed back (config dumps, errors). */
  secret?: boolean;
}

export const SERVE_OPTIONS = [
  { env: 'HOST', flag: '--host', kind: 'string', default: '127.0.0.1', description: 'interface to listen on' },
  { env: 'PORT', flag: '--port', kind: 'int', default: '8080', description: 'port to listen on' },
  {
    env: 'CALLPUSH_DATA_DIR',
    flag: '--data-dir',
    kind: 'string',
    default: './.callpush',
    description: 'folder of the embedded database, the generated master key and sandbox.json',
  },
  {
    env: 'DATABASE_URL',
    flag: '--database-url',
    kind: 'string',
    secret: true,
    description: 'PostgreSQL connection string; when set, PostgreSQL replaces the embedded SQLite database',
  },
  {
    env: 'CALLPUSH_DATABASE_POOL',
    flag: '--database-pool',
    kind: 'int',
    default: '30',
    description:
      'PostgreSQL connections per node (every node counts against the server max_connections; fewer cap the calls/s a node takes)',
  },
  {
    env: 'REDIS_URL',
    flag: '--redis-url',
    kind: 'string',
    secret: true,
    description: 'Redis for running several nodes: socket presence, cross-node events, shared rate limits',
  },
  {
    env: 'CALLPUSH_DELIVERY_LEASE_MS',
    flag: '--delivery-lease',
    kind: 'int',
    default: '3000',
    description: 'lease of a node on the deliveries it sends; a stopped node’s are taken over after this, ms',
  },
  {
    env: 'CALLPUSH_ADMIN_TOKEN',
    flag: '--admin-token',
    kind: 'string',
    secret: true,
    description: 'bearer token for the admin API (apps); setting it turns the sandbox off',
  },
  {
    env: 'CALLPUSH_MASTER_KEY',
    flag: '--master-key',
    kind: 'string',
    secret: true,
    description: 'base64 of 32 bytes encrypting secrets at rest; generated in the data folder when embedded',
  },
  {
    env: 'CALLPUSH_TOKEN_NAMESPACE',
    flag: '--token-namespace',
    kind: 'string',
    default: 'callpush',
    description: 'namespace in user access tokens: iss = //{ns}/applications/{appKey} (rtc.sinch.com for Sinch tokens)',
  },
  {
    env: 'CALLPUSH_TOKEN_MAX_LIFETIME_SECONDS',
    flag: '--token-max-lifetime',
    kind: 'int',
    default: '86400',
    description: 'longest accepted user access token lifetime (exp - iat), seconds',
  },
  {
    env: 'CALLPUSH_RETENTION_DAYS',
    flag: '--retention-days',
    kind: 'int',
    default: '30',
    description: 'calls, their deliveries and event webhook records older than this many days are deleted',
  },
  {
    env: 'CALLPUSH_EVENT_RETRY_HOURS',
    flag: '--event-retry-hours',
    kind: 'int',
    default: '24',
    description: 'how long an event webhook is retried before it is given up, hours',
  },
  {
    env: 'CALLPUSH_EVENT_SECRET_OVERLAP_SECONDS',
    flag: '--event-secret-overlap',
    kind: 'int',
    default: '86400',
    description: 'how long a rotated-out event signing secret stays valid and keeps signing, seconds',
  },
  {
    env: 'CALLPUSH_MAX_DEVICES_PER_USER',
    flag: '--max-devices-per-user',
    kind: 'int',
    default: '25',
    description:
      'devices kept per user (registering one more evicts the least recently registered), and sockets a user may hold',
  },
  {
    env: 'CALLPUSH_BODY_LIMIT_BYTES',
    flag: '--body-limit',
    kind: 'int',
    default: '262144',
    description: 'largest accepted request body, bytes (413 above)',
  },
  {
    env: 'CALLPUSH_SANDBOX',
    flag: '--sandbox',
    kind: 'boolean',
    default: 'auto',
    description: 'sandbox app and emulators: auto (on when neither admin token nor DATABASE_URL is set), true, false',
  },
  {
    env: 'CALLPUSH_PROVIDER_CA_FILE',
    flag: '--provider-ca-file',
    kind: 'string',
    description: 'PEM file of extra CA certificates to trust for provider endpoints (self-hosted emulators, proxies)',
  },
  {
    env: 'CALLPUSH_ALLOW_PRIVATE_ENDPOINTS',
    flag: '--allow-private-endpoints',
    kind: 'boolean',
    default: 'auto',
    description:
      'let apps point provider endpoint and token URLs, Kaleyra base URLs and listed Web Push origins at plain http ' +
      'and private addresses: auto (on with the sandbox), true, false; user-supplied Web Push endpoints never',
  },
  {
    env: 'CALLPUSH_WEBPUSH_HOSTS',
    flag: '--webpush-hosts',
    kind: 'string',
    description:
      'comma-separated push service hosts Web Push subscriptions may point at (*.example.com for subdomains); ' +
      'unset: any public https host',
  },
  {
    env: 'CALLPUSH_MAX_INFLIGHT_PER_CREDENTIAL',
    flag: '--max-inflight-per-credential',
    kind: 'int',
    default: '2000',
    description: 'provider requests in flight per credential before new ones are shed and retried',
  },
  {
    env: 'CALLPUSH_WARM_PROVIDERS',
    flag: '--warm-providers',
    kind: 'boolean',
    default: 'true',
    description:
      'fetch provider tokens and open provider connections at start and when a credential is stored, and keep them warm',
  },
  {
    env: 'CALLPUSH_CORS_ORIGINS',
    flag: '--cors-origins',
    kind: 'string',
    default: '*',
    description:
      'origins whose web pages may call the API (comma-separated, or * for any; tokens are bearer, never cookies)',
  },
  {
    env: 'CALLPUSH_ACK_WINDOW_MS',
    flag: '--ack-window',
    kind: 'int',
    default: '1500',
    description: 'how long a ring sent over an active connection waits for its receipt before the push is sent, ms',
  },
  {
    env: 'CALLPUSH_HEARTBEAT_SECONDS',
    flag: '--heartbeat',
    kind: 'int',
    default: '25',
    description: 'active-connection ping interval; a socket silent for two intervals is closed, seconds',
  },
  {
    env: 'CALLPUSH_RATE_LIMIT_APP_PER_MINUTE',
    flag: '--rate-limit-app',
    kind: 'int',
    default: '6000',
    description: 'calls an app may place per minute, across all nodes (429 above); 0 turns the limit off',
  },
  {
    env: 'CALLPUSH_RATE_LIMIT_CALLER_PER_MINUTE',
    flag: '--rate-limit-caller',
    kind: 'int',
    default: '30',
    description: 'calls one caller (the from user) may place per minute, across all nodes (429 above); 0 = off',
  },
  {
    env: 'CALLPUSH_SHUTDOWN_GRACE_MS',
    flag: '--shutdown-grace',
    kind: 'int',
    default: '10000',
    description:
      'on SIGTERM, how long requests and sockets under way get before they are cut; the stop ends within this + 1 s',
  },
  {
    env: 'CALLPUSH_HEADERS_TIMEOUT_MS',
    flag: '--headers-timeout',
    kind: 'int',
    default: '10000',
    description: 'time a client has to send the request line and headers (408 after), ms',
  },
  {
    env: 'CALLPUSH_REQUEST_TIMEOUT_MS',
    flag: '--request-timeout',
    kind: 'int',
    default: '30000',
    description: 'time a client has to send the whole request, body included (408 after), ms',
  },
  {
    env: 'CALLPUSH_IDLE_TIMEOUT_MS',
    flag: '--idle-timeout',
    kind: 'int',
    default: '30000',
    description: 'a connection with a request under way on which nothing moves this long is closed, ms',
  },
  {
    env: 'CALLPUSH_UNAUTHENTICATED_CONNECTIONS_PER_IP',
    flag: '--unauthenticated-connections-per-ip',
    kind: 'int',
    default: '0',
    description:
      'connections one client IP (IPv6: /64) may hold before any authenticates (429 above); 0 = off, as behind a proxy',
  },
  {
    env: 'CALLPUSH_METRICS_TOKEN',
    flag: '--metrics-token',
    kind: 'string',
    secret: true,
    description: 'bearer token GET /metrics asks for; unset, /metrics is open',
  },
  {
    env: 'CALLPUSH_METRICS_APP_LABELS',
    flag: '--metrics-app-labels',
    kind: 'boolean',
    default: 'false',
    description: 'label per-credential metrics with the app key and credential name (true), or not (false)',
  },
  {
    env: 'CALLPUSH_STREAMS_PER_APP',
    flag: '--streams-per-app',
    kind: 'int',
    default: '20',
    description: 'call event streams (GET /v1/calls/{callId}/events) one app may hold open on a node at once',
  },
  {
    env: 'CALLPUSH_CONSOLE_DIR',
    flag: '--console-dir',
    kind: 'string',
    description: "folder of the web console's build served at /console/; unset, the workspace's packages/console/dist",
  },
  { env: 'LOG_LEVEL', flag: '--log-level', kind: 'string', default: 'info', description: 'pino log level' },
] as const satisfies readonly OptionSpec[];

export type OptionEnv = (typeof SERVE_OPTIONS)[number]['env'];
