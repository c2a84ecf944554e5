import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import websocket from '@fastify/websocket';
import ajvFormats from 'ajv-formats';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Registry } from 'prom-client';
import type { AppsService } from '#domain/apps';
import type { CallsService } from '#domain/calls';
import type { DevicesService } from '#domain/devices';
import { type ConnectionHub, MAX_FRAME_BYTES } from '#domain/realtime';
import type { Cluster } from '#infra/cluster';
import type { Store } from '#infra/store';
import type { TokenSettings } from '#infra/tokens';
import type { KaleyraConfigStore, KaleyraIntake } from '#integrations/kaleyra';
import type { ProvidersService } from '#providers';
import type { Authenticator } from './authenticator.js';
import { errorHandler } from './error-handler.js';
import { notFound } from './errors.js';
import { instrument } from './metrics.js';
import {
  adminAppsRoutes,
  appProvidersRoutes,
  appUsersRoutes,
  callsRoutes,
  connectRoute,
  kaleyraRoutes,
  opsRoutes,
  userDevicesRoutes,
} from './routes/index.js';
import { ErrorSchema } from './schemas.js';

type AjvPlugin = NonNullable<NonNullable<FastifyServerOptions['ajv']>['plugins']>[number];
// ajv-formats is CommonJS; under NodeNext its default import is the module object or the function itself.
const formatsPlugin = ((ajvFormats as unknown as { default?: unknown }).default ?? ajvFormats) as AjvPlugin;

/** What the routes work with; each route group is handed only its own part. */
export interface HttpDeps {
  auth: Authenticator;
  apps: AppsService;
  providers: ProvidersService;
  devices: DevicesService;
  calls: CallsService;
  kaleyra: { configs: KaleyraConfigStore; intake: KaleyraIntake };
  hub: ConnectionHub;
  store: Store;
  cluster: Cluster;
  metrics: Registry;
  logger: FastifyBaseLogger;
}

export interface HttpSettings {
  bodyLimitBytes: number;
  version: string;
  corsOrigins: '*' | string[];
  tokens: TokenSettings;
  heartbeatMs: number;
  ackWindowMs: number;
}

/** Builds the gateway's HTTP server: every route group is a plugin given what it needs, nothing more. */
export async function buildHttpServer(deps: HttpDeps, options: HttpSettings): Promise<FastifyInstance> {
  const { auth, metrics } = deps;
  const app = Fastify({
    loggerInstance: deps.logger,
    bodyLimit: options.bodyLimitBytes,
    // Unknown fields are errors (a typo in a credential must not be silently dropped).
    ajv: {
      customOptions: { removeAdditional: false, discriminator: true, allErrors: false },
      plugins: [formatsPlugin],
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setErrorHandler(errorHandler);
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

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'callpush',
        version: options.version,
        description: 'Managed push for calling apps: apps, user access tokens, device registry, calls.',
      },
      components: {
        securitySchemes: {
          admin: { type: 'http', scheme: 'bearer', description: 'CALLPUSH_ADMIN_TOKEN' },
          app: { type: 'http', scheme: 'basic', description: 'appKey:appSecret' },
          user: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'user access token (hkdfv1)' },
        },
      },
    },
    refResolver: {
      buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  instrument(app, metrics);
  await app.register(opsRoutes, { store: deps.store, cluster: deps.cluster, metrics });
  await app.register(adminAppsRoutes, { apps: deps.apps, auth });
  await app.register(appProvidersRoutes, { providers: deps.providers, auth });
  await app.register(appUsersRoutes, { apps: deps.apps, devices: deps.devices, tokens: options.tokens, auth });
  await app.register(userDevicesRoutes, { devices: deps.devices, auth });
  await app.register(callsRoutes, { calls: deps.calls, auth });
  await app.register(kaleyraRoutes, { ...deps.kaleyra, auth });
  await app.register(websocket, { options: { maxPayload: MAX_FRAME_BYTES } });
  await app.register(connectRoute, {
    auth,
    calls: deps.calls,
    hub: deps.hub,
    heartbeatMs: options.heartbeatMs,
    ackWindowMs: options.ackWindowMs,
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}
