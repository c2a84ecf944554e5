import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import cors from '@fastify/cors';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import websocket from '@fastify/websocket';
import ajvFormats from 'ajv-formats';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Registry } from 'prom-client';
import type { AppSettingsService, AppsService } from '#domain/apps';
import { CallHistory, type CallsService, ProviderHealthRepository } from '#domain/calls';
import { type DevicesService, UserDirectory } from '#domain/devices';
import type { EventEndpoints } from '#domain/events';
import { type ConnectionHub, MAX_FRAME_BYTES } from '#domain/realtime';
import type { Cluster } from '#infra/cluster';
import type { Store } from '#infra/store';
import type { TokenSettings } from '#infra/tokens';
import type { HmsReceiptIntake } from '#integrations/hms-receipts';
import type { KaleyraConfigStore, KaleyraIntake } from '#integrations/kaleyra';
import type { ProviderClientPool, ProvidersService } from '#providers';
import type { Authenticator } from './authenticator.js';
import { answerClientError, rawAnswer, UnauthenticatedConnections } from './connections.js';
import { registerConsole, type SandboxApp } from './console.js';
import { errorHandler } from './error-handler.js';
import { HttpError, notFound } from './errors.js';
import { lazySchemaCompilers } from './lazy-schemas.js';
import { instrument, protocolErrors } from './metrics.js';
import { registerOpenApi } from './openapi.js';
import {
  adminAppsRoutes,
  appProvidersRoutes,
  appSettingsRoutes,
  appUsersRoutes,
  callEventsRoutes,
  callsRoutes,
  connectRoute,
  diagnosisRoutes,
  eventWebhooksRoutes,
  hmsReceiptsRoutes,
  kaleyraRoutes,
  opsRoutes,
  providerHealthRoutes,
  userDevicesRoutes,
  userSearchRoutes,
} from './routes/index.js';
import { ErrorSchema } from './schemas.js';

type AjvPlugin = NonNullable<NonNullable<FastifyServerOptions['ajv']>['plugins']>[number];
// ajv-formats is CommonJS; under NodeNext its default import is the module object or the function itself.
const formatsPlugin = ((ajvFormats as unknown as { default?: unknown }).default ?? ajvFormats) as AjvPlugin;

/** What the routes work with; each route group is handed only its own part. */
export interface HttpDeps {
  auth: Authenticator;
  apps: AppsService;
  /** The node's one settings service, shared with calls so a change here is seen there at once. */
  appSettings: AppSettingsService;
  providers: ProvidersService;
  /** The provider clients, for what each caches (the providers' health). */
  clients: Pick<ProviderClientPool, 'warmthOf'>;
  devices: DevicesService;
  calls: CallsService;
  kaleyra: { configs: KaleyraConfigStore; intake: KaleyraIntake };
  /** Huawei Push Kit's message receipts (docs/providers.md#hms-receipts). */
  hmsReceipts: HmsReceiptIntake;
  /** The apps' event endpoints (docs/events.md). */
  events: EventEndpoints;
  hub: ConnectionHub;
  store: Store;
  cluster: Cluster;
  metrics: Registry;
  logger: FastifyBaseLogger;
  /** The sandbox app, while the sandbox runs: the console's sign-in offers it (docs/console.md). */
  sandbox?: SandboxApp;
}

export interface HttpSettings {
  bodyLimitBytes: number;
  version: string;
  corsOrigins: '*' | string[];
  tokens: TokenSettings;
  heartbeatMs: number;
  ackWindowMs: number;
  /** Inbound limits (docs/security.md): request line and headers, the whole request, a stalled connection. */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  idleTimeoutMs: number;
  /** Connections one client address may hold before any authenticates; 0 = no cap. */
  unauthenticatedConnectionsPerIp: number;
  /** Call event streams one app may hold open on this node at once. */
  streamsPerApp: number;
  /** The web console's build, when not the workspace's. */
  consoleDir?: string | undefined;
}

/**
 * Longest path parameter the router takes: above every id the schemas allow (128 characters), so a too-long
 * id is the schema's 400 naming it; only a segment longer than this is the router's 414.
 */
const MAX_PARAM_CHARS = 1024;

/**
 * Routes whose validators and serializers are built at start, not on first use: the ring path's (placing a
 * call, a woken device's receipt) must not wait for it.
 */
const EAGER_SCHEMAS = new Set(['POST /v1/calls', 'POST /v1/calls/:callId/receipts']);

/** Builds the gateway's HTTP server: every route group is a plugin given what it needs, nothing more. */
export async function buildHttpServer(deps: HttpDeps, options: HttpSettings): Promise<FastifyInstance> {
  const { auth, metrics } = deps;
  const app = Fastify({
    loggerInstance: deps.logger,
    bodyLimit: options.bodyLimitBytes,
    routerOptions: { maxParamLength: MAX_PARAM_CHARS },
    // Node's deadlines; it checks them on this interval, so a request is cut at most a second late.
    http: {
      headersTimeout: options.headersTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, options.headersTimeoutMs),
      // Node would answer a missing Host itself, without a body; the hook below answers it in the contract.
      requireHostHeader: false,
    },
    requestTimeout: options.requestTimeoutMs,
    connectionTimeout: options.idleTimeoutMs,
    // Refusals before a route runs answer in the error contract too.
    clientErrorHandler: (err, socket) => answerClientError(deps.logger, err, socket),
    frameworkErrors: (err, req, reply) => errorHandler(err, req, reply),
    // Requests that arrive while the node stops get a contract 503 from the hook below, not Fastify's own.
    return503OnClosing: false,
    // Unknown fields are errors (a typo in a credential must not be silently dropped).
    ajv: {
      customOptions: { removeAdditional: false, discriminator: true, allErrors: false },
      plugins: [formatsPlugin],
    },
    schemaController: lazySchemaCompilers(EAGER_SCHEMAS),
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setErrorHandler(errorHandler);
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  // Node answers an Expect it does not know with a bare 417 unless told otherwise.
  app.server.on('checkExpectation', (_req, res: ServerResponse) => {
    const body = JSON.stringify({
      error: { code: 'expectation_failed', message: 'only Expect: 100-continue is supported' },
    });
    res.writeHead(417, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  });
  // Node drops a CONNECT without a word when nobody listens for it: this gateway is no proxy.
  app.server.on('connect', (_req, socket: Duplex) => {
    const error = { code: 'method_not_allowed', message: 'CONNECT is not supported: this is no proxy' };
    socket.end(rawAnswer(405, error), () => socket.destroy());
  });
  app.addHook('onRequest', async (req) => {
    if (closing) throw new HttpError(503, 'shutting_down', 'this node is stopping: send the request again');
    if (req.raw.httpVersion === '1.1' && req.headers.host === undefined) {
      throw new HttpError(400, 'host_required', 'an HTTP/1.1 request needs a Host header');
    }
    // Before the CORS plugin, which answers a malformed preflight in plain text.
    if (req.method === 'OPTIONS' && (!req.headers.origin || !req.headers['access-control-request-method'])) {
      throw new HttpError(400, 'invalid_preflight', 'a CORS preflight needs Origin and Access-Control-Request-Method');
    }
  });
  const unauthenticated =
    options.unauthenticatedConnectionsPerIp > 0
      ? new UnauthenticatedConnections(options.unauthenticatedConnectionsPerIp)
      : undefined;
  if (unauthenticated) {
    unauthenticated.attach(app.server);
    // Route hooks have set the principal by now; the connection that carried it stops counting.
    app.addHook('preHandler', async (req) => {
      if (req.principal) unauthenticated.authenticated(req.raw.socket);
    });
  }
  // Browser apps call the API from their own origin with bearer tokens (never cookies).
  await app.register(cors, {
    origin: options.corsOrigins === '*' ? '*' : options.corsOrigins,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'idempotency-key'],
    exposedHeaders: ['idempotent-replayed', 'retry-after'],
    maxAge: 600,
  });
  app.setNotFoundHandler((req) => {
    throw notFound('route_not_found', `no route ${req.method} ${req.url.split('?')[0]}`);
  });
  app.addSchema(ErrorSchema);

  await registerOpenApi(app, options.version);

  instrument(app, metrics);
  await app.register(opsRoutes, { store: deps.store, cluster: deps.cluster, metrics, auth });
  await app.register(adminAppsRoutes, { apps: deps.apps, auth });
  await app.register(appProvidersRoutes, { providers: deps.providers, auth });
  await app.register(providerHealthRoutes, {
    providers: deps.providers,
    health: new ProviderHealthRepository(deps.store),
    clients: deps.clients,
    auth,
  });
  // Without the node's shared service, a private one: calls would then see a change only once their cache expires.
  await app.register(appSettingsRoutes, {
    settings: deps.appSettings,
    auth,
  });
  // Reads only (the history, device activity, diagnoses): nothing to share with the rest of the node.
  const history = new CallHistory({ store: deps.store, calls: deps.calls, devices: deps.devices });
  await app.register(appUsersRoutes, { apps: deps.apps, devices: deps.devices, history, tokens: options.tokens, auth });
  await app.register(userDevicesRoutes, { devices: deps.devices, auth });
  await app.register(userSearchRoutes, { users: new UserDirectory(deps.store), auth });
  await app.register(callsRoutes, { calls: deps.calls, history, auth });
  await app.register(callEventsRoutes, {
    calls: deps.calls,
    auth,
    streamsPerApp: options.streamsPerApp,
    idleTimeoutMs: options.idleTimeoutMs,
  });
  await app.register(diagnosisRoutes, { calls: deps.calls, history, auth });
  await app.register(kaleyraRoutes, { ...deps.kaleyra, auth });
  await app.register(hmsReceiptsRoutes, { intake: deps.hmsReceipts });
  await app.register(eventWebhooksRoutes, { events: deps.events, auth });
  const protocolError = protocolErrors(metrics);
  await app.register(websocket, {
    options: { maxPayload: MAX_FRAME_BYTES },
    // The socket's errors are ws refusing frames that break the protocol (codes WS_ERR_*): the client's doing.
    errorHandler: (err, socket, req) => {
      const code = (err as Error & { code?: string }).code;
      if (code?.startsWith('WS_ERR_')) protocolError(req.log, code.slice('WS_ERR_'.length).toLowerCase());
      else req.log.error({ err }, 'active connection failed');
      socket.terminate();
    },
  });
  trackUpgrades(app);
  // A failed WebSocket handshake (on any route: the plugin upgrades them all) in the contract, not ws's HTML.
  app.websocketServer.on('wsClientError', (err, socket, req) => {
    protocolError(deps.logger, 'invalid_handshake');
    const status = req.method === 'GET' ? 400 : 405;
    socket.end(rawAnswer(status, { code: 'invalid_upgrade', message: err.message }, req.method === 'HEAD'), () =>
      socket.destroy(),
    );
  });
  await app.register(connectRoute, {
    auth,
    calls: deps.calls,
    hub: deps.hub,
    heartbeatMs: options.heartbeatMs,
    ackWindowMs: options.ackWindowMs,
    protocolError,
    authenticated: (socket) => unauthenticated?.authenticated(socket),
  });
  app.get('/openapi.json', async () => app.swagger());
  // The web console (docs/console.md), when it was built: static files that use only the public API.
  registerConsole(app, { sandbox: deps.sandbox, dir: options.consoleDir, idleTimeoutMs: options.idleTimeoutMs });
  return app;
}

/** Sockets Node handed over for an `Upgrade`: it no longer counts them as HTTP connections, so the cut must. */
const upgradeSockets = new WeakMap<FastifyInstance, Set<Duplex>>();

function trackUpgrades(app: FastifyInstance): void {
  const sockets = new Set<Duplex>();
  const webSockets = new WeakSet<Duplex>();
  upgradeSockets.set(app, sockets);
  app.websocketServer.on('connection', (_ws, req) => webSockets.add(req.socket));
  app.server.on('upgrade', (_req, socket: Duplex) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    // An upgrade its route refused (a 401, a 404) leaves the socket to us: a client that hangs up must not leave
    // it half open, holding a stop until its grace runs out.
    socket.once('end', () => {
      if (!webSockets.has(socket)) socket.destroy();
    });
  });
}

/**
 * Stops the server within `graceMs`: no new connections, idle ones closed at once (Fastify), requests and
 * WebSockets under way given `graceMs` to finish, then cut. Node stops enforcing its request deadlines once
 * the server closes, so without the cut a trickled body or a socket that ignores the close would hold it open.
 */
export async function closeHttpServer(app: FastifyInstance, graceMs: number): Promise<void> {
  const cut = setTimeout(() => {
    app.server.closeAllConnections();
    for (const socket of app.websocketServer.clients) socket.terminate();
    for (const socket of upgradeSockets.get(app) ?? []) socket.destroy();
  }, graceMs);
  try {
    await app.close();
  } finally {
    clearTimeout(cut);
  }
}
