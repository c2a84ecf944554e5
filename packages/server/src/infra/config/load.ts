import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type OptionEnv, SERVE_OPTIONS } from './options.js';

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl?: string;
  databasePool: number;
  redisUrl?: string;
  deliveryLeaseMs: number;
  adminToken?: string;
  masterKey?: string;
  tokenNamespace: string;
  tokenMaxLifetimeSeconds: number;
  maxDevicesPerUser: number;
  bodyLimitBytes: number;
  /** True when the sandbox app (and, later, emulators) is set up at start. */
  sandbox: boolean;
  providerCaFile?: string;
  /** Apps may point their credential URLs at plain http and private addresses (docs/security.md). */
  allowPrivateEndpoints: boolean;
  /** When not empty, the only hosts a Web Push subscription may point at (`*.` for subdomains). */
  webPushHosts: string[];
  maxInflightPerCredential: number;
  warmProviders: boolean;
  /** `*` or the allowed origins. */
  corsOrigins: '*' | string[];
  ackWindowMs: number;
  heartbeatSeconds: number;
  /** Calls per minute an app, and one caller, may place; 0 = no limit. */
  rateLimitAppPerMinute: number;
  rateLimitCallerPerMinute: number;
  /** What a stop waits for requests and sockets under way before it cuts them. */
  shutdownGraceMs: number;
  /** Event webhooks: how long an event is retried, and how long a rotated-out signing secret stays valid. */
  eventRetryHours: number;
  eventSecretOverlapSeconds: number;
  /** Calls, deliveries and event records older than this are deleted by a background sweep. */
  retentionDays: number;
  /** Inbound limits (docs/security.md): headers, the whole request, a connection on which nothing moves. */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  idleTimeoutMs: number;
  /** Connections one client address may hold before any authenticates; 0 = no cap. */
  unauthenticatedConnectionsPerIp: number;
  /** Bearer token of GET /metrics; undefined leaves it open. */
  metricsToken?: string;
  /** Whether per-credential metrics carry the app key. */
  metricsAppLabels: boolean;
  /** Call event streams one app may hold open on a node at once. */
  streamsPerApp: number;
  /** The web console's build; undefined: the workspace's own (docs/console.md). */
  consoleDir?: string;
  logLevel: string;
}

export class ConfigError extends Error {}

type Raw = Partial<Record<OptionEnv, string>>;

/** Reads a JSON config file whose keys are the environment variable names. */
export function readConfigFile(file: string): Raw {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${file} must hold a JSON object`);
  }
  const known = new Set<string>(SERVE_OPTIONS.map((o) => o.env));
  const raw: Raw = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!known.has(key)) throw new ConfigError(`config file ${file}: unknown key ${key}`);
    raw[key as OptionEnv] = String(value);
  }
  return raw;
}

function int(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}`);
  return n;
}

/**
 * Resolves the configuration. Precedence: CLI flags, then environment, then the config file, then defaults.
 */
export function resolveConfig(sources: { flags?: Raw; env?: NodeJS.ProcessEnv; file?: Raw } = {}): Config {
  const env = sources.env ?? process.env;
  const pick = (name: OptionEnv): string | undefined => {
    const v = sources.flags?.[name] ?? env[name] ?? sources.file?.[name];
    return v === '' ? undefined : v;
  };
  const get = (name: OptionEnv): string => {
    const spec = SERVE_OPTIONS.find((o) => o.env === name);
    const v = pick(name) ?? (spec && 'default' in spec ? spec.default : undefined);
    if (v === undefined) throw new ConfigError(`${name} is required`);
    return v;
  };
  const databaseUrl = pick('DATABASE_URL');
  const adminToken = pick('CALLPUSH_ADMIN_TOKEN');
  const sandboxSetting = get('CALLPUSH_SANDBOX').toLowerCase();
  if (!['auto', 'true', 'false', '1', '0'].includes(sandboxSetting)) {
    throw new ConfigError('CALLPUSH_SANDBOX must be auto, true or false');
  }
  const sandbox = sandboxSetting === 'auto' ? !databaseUrl && !adminToken : ['true', '1'].includes(sandboxSetting);
  const allowPrivateSetting = get('CALLPUSH_ALLOW_PRIVATE_ENDPOINTS').toLowerCase();
  if (!['auto', 'true', 'false', '1', '0'].includes(allowPrivateSetting)) {
    throw new ConfigError('CALLPUSH_ALLOW_PRIVATE_ENDPOINTS must be auto, true or false');
  }
  // The sandbox's own emulators listen on loopback.
  const allowPrivateEndpoints = allowPrivateSetting === 'auto' ? sandbox : ['true', '1'].includes(allowPrivateSetting);
  if (sandbox && !allowPrivateEndpoints) {
    throw new ConfigError('the sandbox needs CALLPUSH_ALLOW_PRIVATE_ENDPOINTS: its emulators listen on loopback');
  }
  const masterKey = pick('CALLPUSH_MASTER_KEY');
  if (databaseUrl && !masterKey) {
    throw new ConfigError('CALLPUSH_MASTER_KEY is required with DATABASE_URL (every node must share it)');
  }
  if (adminToken !== undefined && adminToken.length < 16) {
    throw new ConfigError('CALLPUSH_ADMIN_TOKEN must be at least 16 characters');
  }
  const metricsToken = pick('CALLPUSH_METRICS_TOKEN');
  if (metricsToken !== undefined && metricsToken.length < 16) {
    throw new ConfigError('CALLPUSH_METRICS_TOKEN must be at least 16 characters');
  }
  const headersTimeoutMs = int('CALLPUSH_HEADERS_TIMEOUT_MS', get('CALLPUSH_HEADERS_TIMEOUT_MS'), 100, 3_600_000);
  const requestTimeoutMs = int('CALLPUSH_REQUEST_TIMEOUT_MS', get('CALLPUSH_REQUEST_TIMEOUT_MS'), 100, 3_600_000);
  const consoleDir = pick('CALLPUSH_CONSOLE_DIR');
  // Node refuses a headers deadline later than the whole request's.
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new ConfigError('CALLPUSH_HEADERS_TIMEOUT_MS must not exceed CALLPUSH_REQUEST_TIMEOUT_MS');
  }
  return {
    host: get('HOST'),
    port: int('PORT', get('PORT'), 0, 65535),
    dataDir: path.resolve(get('CALLPUSH_DATA_DIR')),
    databaseUrl,
    databasePool: int('CALLPUSH_DATABASE_POOL', get('CALLPUSH_DATABASE_POOL'), 1, 1000),
    redisUrl: pick('REDIS_URL'),
    deliveryLeaseMs: int('CALLPUSH_DELIVERY_LEASE_MS', get('CALLPUSH_DELIVERY_LEASE_MS'), 300, 60_000),
    adminToken,
    masterKey,
    tokenNamespace: get('CALLPUSH_TOKEN_NAMESPACE'),
    tokenMaxLifetimeSeconds: int(
      'CALLPUSH_TOKEN_MAX_LIFETIME_SECONDS',
      get('CALLPUSH_TOKEN_MAX_LIFETIME_SECONDS'),
      60,
      31_536_000,
    ),
    maxDevicesPerUser: int('CALLPUSH_MAX_DEVICES_PER_USER', get('CALLPUSH_MAX_DEVICES_PER_USER'), 1, 1000),
    bodyLimitBytes: int('CALLPUSH_BODY_LIMIT_BYTES', get('CALLPUSH_BODY_LIMIT_BYTES'), 1024, 64 * 1024 * 1024),
    sandbox,
    providerCaFile: pick('CALLPUSH_PROVIDER_CA_FILE'),
    allowPrivateEndpoints,
    webPushHosts: hostPatterns(pick('CALLPUSH_WEBPUSH_HOSTS') ?? ''),
    maxInflightPerCredential: int(
      'CALLPUSH_MAX_INFLIGHT_PER_CREDENTIAL',
      get('CALLPUSH_MAX_INFLIGHT_PER_CREDENTIAL'),
      1,
      1_000_000,
    ),
    corsOrigins: origins(get('CALLPUSH_CORS_ORIGINS')),
    ackWindowMs: int('CALLPUSH_ACK_WINDOW_MS', get('CALLPUSH_ACK_WINDOW_MS'), 0, 60_000),
    heartbeatSeconds: int('CALLPUSH_HEARTBEAT_SECONDS', get('CALLPUSH_HEARTBEAT_SECONDS'), 1, 3600),
    rateLimitAppPerMinute: int(
      'CALLPUSH_RATE_LIMIT_APP_PER_MINUTE',
      get('CALLPUSH_RATE_LIMIT_APP_PER_MINUTE'),
      0,
      100_000_000,
    ),
    rateLimitCallerPerMinute: int(
      'CALLPUSH_RATE_LIMIT_CALLER_PER_MINUTE',
      get('CALLPUSH_RATE_LIMIT_CALLER_PER_MINUTE'),
      0,
      1_000_000,
    ),
    shutdownGraceMs: int('CALLPUSH_SHUTDOWN_GRACE_MS', get('CALLPUSH_SHUTDOWN_GRACE_MS'), 0, 600_000),
    eventRetryHours: int('CALLPUSH_EVENT_RETRY_HOURS', get('CALLPUSH_EVENT_RETRY_HOURS'), 1, 720),
    retentionDays: int('CALLPUSH_RETENTION_DAYS', get('CALLPUSH_RETENTION_DAYS'), 1, 3650),
    eventSecretOverlapSeconds: int(
      'CALLPUSH_EVENT_SECRET_OVERLAP_SECONDS',
      get('CALLPUSH_EVENT_SECRET_OVERLAP_SECONDS'),
      0,
      2_592_000,
    ),
    headersTimeoutMs,
    requestTimeoutMs,
    idleTimeoutMs: int('CALLPUSH_IDLE_TIMEOUT_MS', get('CALLPUSH_IDLE_TIMEOUT_MS'), 100, 3_600_000),
    unauthenticatedConnectionsPerIp: int(
      'CALLPUSH_UNAUTHENTICATED_CONNECTIONS_PER_IP',
      get('CALLPUSH_UNAUTHENTICATED_CONNECTIONS_PER_IP'),
      0,
      1_000_000,
    ),
    metricsToken,
    metricsAppLabels: bool('CALLPUSH_METRICS_APP_LABELS', get('CALLPUSH_METRICS_APP_LABELS')),
    warmProviders: bool('CALLPUSH_WARM_PROVIDERS', get('CALLPUSH_WARM_PROVIDERS')),
    streamsPerApp: int('CALLPUSH_STREAMS_PER_APP', get('CALLPUSH_STREAMS_PER_APP'), 1, 10_000),
    consoleDir: consoleDir === undefined ? undefined : path.resolve(consoleDir),
    logLevel: get('LOG_LEVEL'),
  };
}

function bool(name: string, value: string): boolean {
  const v = value.toLowerCase();
  if (!['true', 'false', '1', '0'].includes(v)) throw new ConfigError(`${name} must be true or false`);
  return v === 'true' || v === '1';
}

/** `push.example.com` or `*.example.com`, lower-cased; anything else is refused. */
function hostPatterns(value: string): string[] {
  const list = value
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  for (const h of list) {
    if (!/^(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(h)) {
      throw new ConfigError(`CALLPUSH_WEBPUSH_HOSTS: ${h} is not a host name or *.domain`);
    }
  }
  return list;
}

function origins(value: string): '*' | string[] {
  if (value.trim() === '*') return '*';
  const list = value
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  for (const o of list) {
    let url: URL | undefined;
    try {
      url = new URL(o);
    } catch {
      url = undefined;
    }
    if (!url || url.origin !== o)
      throw new ConfigError(`CALLPUSH_CORS_ORIGINS: ${o} is not an origin (scheme://host[:port])`);
  }
  return list;
}
