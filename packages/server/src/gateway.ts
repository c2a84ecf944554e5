import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import type { Emulators } from '@callpush/emulators';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { Gauge } from 'prom-client';
import { AppSettingsService, AppsService } from '#domain/apps';
import {
  CallsRepository,
  CallsService,
  callsPurge,
  Dispatcher,
  EventLog,
  LeaseKeeper,
  ProviderReceipts,
  RetentionSweep,
  RingMetrics,
} from '#domain/calls';
import { alertRegistration, DevicesService } from '#domain/devices';
import { EventDeliverer, EventEndpoints, EventOutbox, eventPurges, WebhookSender } from '#domain/events';
import { createCallRateLimiter } from '#domain/limits';
import { NoticeSender } from '#domain/notices';
import { ConnectionHub, ConnectionRouter } from '#domain/realtime';
import { Authenticator, buildHttpServer, closeHttpServer } from '#edges/http';
import {
  configureSandboxProviders,
  describeEmulators,
  prepareSandbox,
  registerSandboxDevices,
  SANDBOX_USER,
  type SandboxInfo,
  SandboxPhones,
  startSandboxEmulators,
  writeSandboxFile,
} from '#edges/sandbox';
import { type Cluster, clusterMetrics, LocalCluster, newNodeId, RedisCluster } from '#infra/cluster';
import type { Config } from '#infra/config';
import { loadMasterKey, SecretBox } from '#infra/crypto';
import { createRegistry } from '#infra/metrics';
import { HttpClient } from '#infra/net';
import { openStore, registerStoreMetrics } from '#infra/store';
import { HmsReceiptIntake } from '#integrations/hms-receipts';
import { KaleyraConfigStore, KaleyraIntake, KaleyraPayloads, KaleyraRepository } from '#integrations/kaleyra';
import { systemClock } from '#kernel';
import { ProviderClientPool, ProviderMetrics, ProvidersService, retryAfterMs } from '#providers';
import { VERSION } from './version.js';

export interface Gateway {
  url: string;
  http: FastifyInstance;
  /** The active connections this node holds (tests close them as a node's shutdown does). */
  hub: ConnectionHub;
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

/**
 * Starts `callpush serve`. The object graph is built bottom-up, layer by layer (docs/architecture.md): every
 * part gets what it needs when it is made, and nothing is wired in afterwards.
 */
/** How long start-up waits for the provider credentials' warm-up before it listens anyway. */
const WARM_BEFORE_LISTENING_MS = 2000;

export async function startGateway(config: Config, options: GatewayOptions = {}): Promise<Gateway> {
  // Infrastructure.
  const log = pino(
    {
      level: config.logLevel,
      // `err.rawPacket`: the bytes of a request Node could not parse, Authorization headers included.
      redact: {
        paths: ['req.headers.authorization', 'headers.authorization', 'err.rawPacket'],
        censor: '[redacted]',
      },
    },
    options.logStream ?? pino.destination(1),
  );
  const box = new SecretBox(loadMasterKey(config.masterKey, config.dataDir));
  const store = await openStore({
    databaseUrl: config.databaseUrl,
    databasePool: config.databasePool,
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
  registerStoreMetrics(metrics, store);
  const nodeId = newNodeId();
  const redis = config.redisUrl
    ? await RedisCluster.create({ metrics: clusterMetrics(metrics), log }, { url: config.redisUrl, nodeId })
    : undefined;
  await redis?.start();
  const cluster: Cluster = redis ?? new LocalCluster(nodeId);
  const tokens = { namespace: config.tokenNamespace, maxLifetimeSeconds: config.tokenMaxLifetimeSeconds };

  // Providers, then the domain below calls.
  const endpoints = { allowPrivateEndpoints: config.allowPrivateEndpoints, webPushHosts: config.webPushHosts };
  const providers = new ProvidersService({ store, box }, endpoints);
  const apps = new AppsService({ store, box });
  const clients = new ProviderClientPool(
    {
      providers,
      metrics: new ProviderMetrics(metrics, { appLabels: config.metricsAppLabels }),
      appOf: async (key) => {
        const secret = await apps.secretOf(key);
        return secret === undefined ? undefined : { key, secret, namespace: config.tokenNamespace };
      },
    },
    {
      maxInflightPerCredential: config.maxInflightPerCredential,
      warm: config.warmProviders,
      ...endpoints,
      ...(providerCa ? { providerCa } : {}),
    },
  );
  const devices = new DevicesService({ store, providers }, { maxDevicesPerUser: config.maxDevicesPerUser });
  const limits = createCallRateLimiter({
    ...(redis ? { redis: redis.client } : {}),
    registry: metrics,
    appPerMinute: config.rateLimitAppPerMinute,
    callerPerMinute: config.rateLimitCallerPerMinute,
  });
  const heartbeatMs = config.heartbeatSeconds * 1000;
  const hub = new ConnectionHub({ heartbeatMs, maxPerUser: config.maxDevicesPerUser });
  const router = new ConnectionRouter({ hub, cluster });
  new Gauge({
    name: 'callpush_active_connections',
    help: 'active-connection sockets held by this node',
    registers: [metrics],
    collect() {
      this.set(hub.size);
    },
  });

  // Calls, with the Kaleyra payloads the dispatcher asks for; Kaleyra intake after them.
  const kaleyraRepo = new KaleyraRepository(store);
  const kaleyraConfigs = new KaleyraConfigStore(
    { repo: kaleyraRepo, box },
    { allowPrivateEndpoints: config.allowPrivateEndpoints },
  );
  const payloads = new KaleyraPayloads(
    { repo: kaleyraRepo, configs: kaleyraConfigs },
    { allowPrivateEndpoints: config.allowPrivateEndpoints, ...(providerCa ? { ca: providerCa } : {}) },
  );
  const ringMetrics = new RingMetrics(metrics);
  const repo = new CallsRepository(store);
  // Settings and notification texts, cached per node: asked on every call and every cancel.
  const texts = new AppSettingsService({ store });
  // Event webhooks: written to the outbox with the changes they report, delivered by any node.
  const lease = { owner: nodeId, ms: config.deliveryLeaseMs, alone: store.engine === 'sqlite' && !redis };
  const eventHttp = new HttpClient({ allowPrivate: config.allowPrivateEndpoints });
  const webhookSender = new WebhookSender({ http: eventHttp, retryAfter: retryAfterMs });
  const eventEndpoints = new EventEndpoints(
    { store, box, sender: webhookSender },
    {
      allowPrivateEndpoints: config.allowPrivateEndpoints,
      secretOverlapMs: config.eventSecretOverlapSeconds * 1000,
    },
  );
  const eventDeliverer = new EventDeliverer(
    { store, endpoints: eventEndpoints, sender: webhookSender, metrics, log },
    {
      owner: nodeId,
      leaseMs: config.deliveryLeaseMs,
      alone: lease.alone,
      closeWaitMs: config.shutdownGraceMs,
      retry: { budgetMs: config.eventRetryHours * 3_600_000 },
    },
  );
  const events = new EventLog(new EventOutbox({ store, endpoints: eventEndpoints, deliverer: eventDeliverer }));
  const dispatcher = new Dispatcher(
    {
      repo,
      devices,
      clients,
      providers,
      payloads,
      texts,
      events,
      connections: router,
      metrics: ringMetrics,
      log,
      now: systemClock,
    },
    { ackWindowMs: config.ackWindowMs },
  );
  const calls = new CallsService(
    {
      repo,
      devices,
      dispatcher,
      connections: router,
      limits,
      texts,
      credentials: clients,
      events,
      metrics: ringMetrics,
      log,
    },
    { lease },
  );
  const leases = new LeaseKeeper({ repo, dispatcher, calls, log }, lease);
  const retention = new RetentionSweep(
    { purges: [callsPurge(store), ...eventPurges(store)], log },
    { days: config.retentionDays },
  );
  // Kaleyra chat pushes go to each device's alert registration: a chat message is never a VoIP push.
  const notices = new NoticeSender({
    devices: {
      devicesOf: async (appKey, userId) =>
        (await devices.listForUser(appKey, userId)).map((d) => ({
          ...alertRegistration(d),
          userId,
          deviceId: d.deviceId,
        })),
    },
    clients,
    outcomes: ringMetrics.outcomes,
    log,
  });
  const intake = new KaleyraIntake({ repo: kaleyraRepo, configs: kaleyraConfigs, calls, notices, payloads });
  // Huawei's delivery receipts, recorded on the deliveries they report (docs/providers.md#hms-receipts).
  const hmsReceipts = new HmsReceiptIntake({
    providers,
    cluster,
    receipts: new ProviderReceipts({ store, events }),
    metrics,
  });

  // Other nodes hear of what changes here, and this node of what changes there.
  calls.onStateChange((call) => cluster.publish('all', { kind: 'call', callId: call.id }));
  providers.onChange((appKey, name, local) => {
    if (local) cluster.publish('all', { kind: 'provider', appKey, name });
  });
  apps.onDelete((appKey) => cluster.publish('all', { kind: 'app', appKey }));
  texts.onChange((appKey) => cluster.publish('all', { kind: 'appSettings', appKey }));
  eventEndpoints.onChange((appKey) => cluster.publish('all', { kind: 'eventEndpoint', appKey }));
  // Events sent while Redis was away are lost: rebuild what they would have invalidated.
  cluster.onReconnect(() => {
    clients.dropAll();
    apps.forget();
    texts.forget();
    eventEndpoints.forget();
  });
  cluster.onEvent((event) => {
    if (event.kind === 'call') dispatcher.callChanged(event.callId);
    else if (event.kind === 'provider') providers.changedElsewhere(event.appKey, event.name);
    else if (event.kind === 'app') {
      apps.forget(event.appKey);
      texts.forget(event.appKey);
      eventEndpoints.forget(event.appKey);
    } else if (event.kind === 'appSettings') texts.forget(event.appKey);
    else if (event.kind === 'eventEndpoint') eventEndpoints.forget(event.appKey);
  });

  // The sandbox app exists before the API does, so the admin token is known when the authenticator is made.
  const sandbox = sandboxEmulators && (await prepareSandbox(apps, config.dataDir));
  if (sandboxEmulators && sandbox) {
    await configureSandboxProviders(providers, sandbox.appKey, sandboxEmulators.emulators.credentials);
  }
  const sandboxDevices =
    sandboxEmulators && sandbox && (await registerSandboxDevices(devices, sandbox.appKey, sandboxEmulators.emulators));

  // The console draws bob's devices as phones lit by what their emulators receive (docs/console.md).
  const sandboxPhones =
    sandboxEmulators && sandbox && sandboxDevices
      ? new SandboxPhones({
          emulators: sandboxEmulators.emulators,
          devices: sandboxDevices.map((d) => ({ ...d, inspectAs: d.token })),
          callOf: (callId) => repo.findCall(sandbox.appKey, callId),
          onCallChange: (listener) => calls.onStateChange(listener),
        })
      : undefined;

  // Edges.
  // The sandbox admin token is generated, so the admin API accepts it only in sandbox mode.
  const adminToken = config.adminToken ?? sandbox?.adminToken;
  const auth = new Authenticator(
    { apps },
    {
      tokens,
      ...(adminToken ? { adminToken } : {}),
      ...(config.metricsToken ? { metricsToken: config.metricsToken } : {}),
    },
  );
  const http = await buildHttpServer(
    {
      auth,
      apps,
      providers,
      clients,
      devices,
      calls,
      appSettings: texts,
      events: eventEndpoints,
      ...(sandbox ? { sandbox: { appKey: sandbox.appKey, appSecret: sandbox.appSecret, phones: sandboxPhones } } : {}),
      kaleyra: { configs: kaleyraConfigs, intake },
      hmsReceipts,
      hub,
      store,
      cluster,
      metrics,
      logger: log,
    },
    {
      bodyLimitBytes: config.bodyLimitBytes,
      version: VERSION,
      corsOrigins: config.corsOrigins,
      tokens,
      heartbeatMs,
      ackWindowMs: config.ackWindowMs,
      headersTimeoutMs: config.headersTimeoutMs,
      requestTimeoutMs: config.requestTimeoutMs,
      idleTimeoutMs: config.idleTimeoutMs,
      unauthenticatedConnectionsPerIp: config.unauthenticatedConnectionsPerIp,
      streamsPerApp: config.streamsPerApp,
      consoleDir: config.consoleDir,
    },
  );
  const shutdown = async () => {
    // Stop accepting first: a call accepted while the rest shuts down would wait for a lease takeover.
    // Sockets are asked to close (1001); what is still open when the grace ends is cut.
    hub.close();
    await Promise.all([closeHttpServer(http, config.shutdownGraceMs), eventDeliverer.close()]);
    eventHttp.close();
    calls.close();
    await dispatcher.close();
    notices.close();
    await clients.close();
    await leases.stop();
    await cluster.close();
    payloads.close();
    await sandboxEmulators?.emulators.close();
    await retention.stop();
    await store.close();
  };
  // The first ring after start should not pay for token requests and handshakes: listening waits for the
  // warm-up, but never long (a provider that is down must not keep a node from serving), and it goes on.
  const warming = clients.warmAll().catch((err: unknown) => log.warn({ err }, 'warming provider credentials failed'));
  // And the statements of the ring path, which Kysely would otherwise build and the database parse for the
  // first call.
  devices.warm();
  repo.warm();
  await Promise.race([warming, delay(WARM_BEFORE_LISTENING_MS, undefined, { ref: false })]);
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

  let sandboxInfo: SandboxInfo | undefined;
  if (sandboxEmulators && sandbox) {
    sandboxInfo = { baseUrl: url, ...sandbox };
    writeSandboxFile(config.dataDir, {
      ...sandboxInfo,
      user: { userId: SANDBOX_USER, devices: sandboxDevices },
      emulators: describeEmulators(sandboxEmulators.emulators.credentials, sandboxEmulators.caFile),
    });
  }
  await calls.rearmTimeouts();
  await leases.start();
  await eventDeliverer.start();
  retention.start();
  return { url, http, hub, sandbox: sandboxInfo, emulators: sandboxEmulators?.emulators, close: shutdown };
}
