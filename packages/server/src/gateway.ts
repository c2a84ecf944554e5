import { readFileSync } from 'node:fs';
import type { Emulators } from '@callpush/emulators';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { Gauge } from 'prom-client';
import { AppsService } from './apps/index.js';
import { CallsRepository, CallsService, Dispatcher, LeaseKeeper, RingMetrics } from './calls/index.js';
import { type Cluster, clusterMetrics, LocalCluster, newNodeId, RedisCluster } from './cluster/index.js';
import type { Config } from './config/index.js';
import { loadMasterKey, SecretBox } from './crypto/index.js';
import { DevicesService } from './devices/index.js';
import { buildHttpServer, createRegistry, type Services } from './http/index.js';
import { createCallRateLimiter } from './limits/index.js';
import { ProvidersService } from './providers/index.js';
import { ConnectionHub, ConnectionRouter } from './realtime/index.js';
import {
  configureSandboxProviders,
  describeEmulators,
  prepareSandbox,
  registerSandboxDevices,
  SANDBOX_USER,
  type SandboxInfo,
  startSandboxEmulators,
  writeSandboxFile,
} from './sandbox/index.js';
import { openStore } from './store/index.js';
import { VERSION } from './version.js';
import { KaleyraConfigStore, KaleyraService } from './webhooks/index.js';

export interface Gateway {
  url: string;
  http: FastifyInstance;
  services: Services;
  sandbox?: SandboxInfo;
  /** The sandbox's built-in provider emulators. */
  emulators?: Emulators;
  close(): Promise<void>;
}

export interface GatewayOptions {
  /** Where JSON log lines go (default stdout); tests capture them to prove secrets stay out. */
  logStream?: NodeJS.WritableStream;
  /** PostgreSQL schema to isolate in (tests). */
  pgSchema?: string;
  /** Extra CA (PEM) for provider endpoints, on top of CALLPUSH_PROVIDER_CA_FILE (tests pass the emulators'). */
  providerCa?: string;
}

/** Starts `callpush serve`: storage and migrations, services, HTTP server, and the sandbox when configured. */
export async function startGateway(config: Config, options: GatewayOptions = {}): Promise<Gateway> {
  const log = pino(
    {
      level: config.logLevel,
      redact: { paths: ['req.headers.authorization', 'headers.authorization'], censor: '[redacted]' },
    },
    options.logStream ?? pino.destination(1),
  );
  const box = new SecretBox(loadMasterKey(config.masterKey, config.dataDir));
  const store = await openStore({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    pgSchema: options.pgSchema,
  });
  const sandboxEmulators = config.sandbox ? await startSandboxEmulators(config.dataDir) : undefined;
  const providerCa = [
    config.providerCaFile ? readFileSync(config.providerCaFile, 'utf8') : undefined,
    options.providerCa,
    sandboxEmulators?.emulators.credentials.ca,
  ]
    .filter(Boolean)
    .join('\n');

  const metrics = createRegistry();
  const ringMetrics = new RingMetrics(metrics);
  const apps = new AppsService(store, box);
  const providers = new ProvidersService(store, box);
  const devices = new DevicesService(store, config.maxDevicesPerUser);
  const repo = new CallsRepository(store);
  const heartbeatMs = config.heartbeatSeconds * 1000;
  const hub = new ConnectionHub({ heartbeatMs, maxPerUser: config.maxDevicesPerUser });
  const nodeId = newNodeId();
  const redis = config.redisUrl ? new RedisCluster(config.redisUrl, nodeId, clusterMetrics(metrics), log) : undefined;
  await redis?.start();
  const cluster: Cluster = redis ?? new LocalCluster(nodeId);
  const router = new ConnectionRouter(hub, cluster);
  new Gauge({
    name: 'callpush_active_connections',
    help: 'active-connection sockets held by this node',
    registers: [metrics],
    collect() {
      this.set(hub.size);
    },
  });
  let calls: CallsService | undefined;
  let kaleyra: KaleyraService | undefined;
  const dispatcher = new Dispatcher(
    repo,
    providers,
    ringMetrics,
    log,
    {
      maxInflightPerCredential: config.maxInflightPerCredential,
      ...(providerCa ? { providerCa } : {}),
      appOf: async (key) => {
        const secret = await apps.secretOf(key);
        return secret === undefined ? undefined : { key, secret, namespace: config.tokenNamespace };
      },
      payloadFor: (call, delivery) => kaleyra!.payloadFor(call, delivery),
      connections: router,
      ackWindowMs: config.ackWindowMs,
    },
    (callId, userId) => calls!.stillRinging(callId, userId),
  );
  const lease = { owner: nodeId, ms: config.deliveryLeaseMs, alone: store.engine === 'sqlite' && !redis };
  const limits = createCallRateLimiter({
    ...(redis ? { redis: redis.client } : {}),
    registry: metrics,
    appPerMinute: config.rateLimitAppPerMinute,
    callerPerMinute: config.rateLimitCallerPerMinute,
  });
  calls = new CallsService(repo, devices, dispatcher, ringMetrics, log, router, limits, lease);
  const leases = new LeaseKeeper(repo, dispatcher, calls, lease, log);
  // Other nodes hear of what changes here, and this node of what changes there.
  calls.onStateChange((call) => cluster.publish('all', { kind: 'call', callId: call.id }));
  providers.onChange((appKey, name, local) => {
    if (local) cluster.publish('all', { kind: 'provider', appKey, name });
  });
  apps.onDelete((appKey) => cluster.publish('all', { kind: 'app', appKey }));
  // Events sent while Redis was away are lost: rebuild what they would have invalidated.
  cluster.onReconnect(() => {
    dispatcher.dropAllClients();
    apps.forget();
  });
  cluster.onEvent((event) => {
    if (event.kind === 'call') dispatcher.callChanged(event.callId);
    else if (event.kind === 'provider') providers.changedElsewhere(event.appKey, event.name);
    else if (event.kind === 'app') apps.forget(event.appKey);
  });
  const kaleyraConfigs = new KaleyraConfigStore(store, box);
  kaleyra = new KaleyraService(store, kaleyraConfigs, calls, providerCa ? { ca: providerCa } : {});
  const services: Services = {
    store,
    apps,
    providers,
    devices,
    calls,
    tokens: { namespace: config.tokenNamespace, maxLifetimeSeconds: config.tokenMaxLifetimeSeconds },
    kaleyra: { configs: kaleyraConfigs, service: kaleyra },
    adminToken: config.adminToken,
    connections: { hub, heartbeatMs, ackWindowMs: config.ackWindowMs },
    cluster,
  };
  const http = await buildHttpServer(services, {
    bodyLimitBytes: config.bodyLimitBytes,
    logger: log,
    version: VERSION,
    metrics,
    corsOrigins: config.corsOrigins,
  });
  const shutdown = async () => {
    // Stop accepting first: a call accepted while the rest shuts down would wait for a lease takeover.
    hub.close();
    await http.close();
    calls.close();
    await dispatcher.close();
    await leases.stop();
    await cluster.close();
    kaleyra.close();
    await sandboxEmulators?.emulators.close();
    await store.close();
  };
  try {
    await http.listen({ host: config.host, port: config.port });
  } catch (err) {
    await shutdown();
    throw err;
  }
  const address = http.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  const url = `http://${host}:${port}`;

  let sandbox: SandboxInfo | undefined;
  if (sandboxEmulators) {
    sandbox = await prepareSandbox(apps, config.dataDir, url);
    // The sandbox admin token is generated, so the admin API accepts it only in sandbox mode.
    services.adminToken ??= sandbox.adminToken;
    await configureSandboxProviders(providers, sandbox.appKey, sandboxEmulators.emulators.credentials);
    const sandboxDevices = await registerSandboxDevices(devices, sandbox.appKey, sandboxEmulators.emulators);
    writeSandboxFile(config.dataDir, {
      ...sandbox,
      user: { userId: SANDBOX_USER, devices: sandboxDevices },
      emulators: describeEmulators(sandboxEmulators.emulators.credentials, sandboxEmulators.caFile),
    });
  }
  await calls.rearmTimeouts();
  await leases.start();
  return { url, http, services, sandbox, emulators: sandboxEmulators?.emulators, close: shutdown };
}
