import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import websocket from '@fastify/websocket';
import ajvFormats from 'ajv-formats';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Registry } from 'prom-client';
import { connectRoute, MAX_FRAME_BYTES } from '../realtime/index.js';
import type { Services } from './context.js';
import { errorHandler } from './error-handler.js';
import { notFound } from './errors.js';
import { instrument } from './metrics.js';
import { adminAppsRoutes } from './routes/admin-apps.js';
import { appProvidersRoutes } from './routes/app-providers.js';
import { appUsersRoutes } from './routes/app-users.js';
import { callsRoutes } from './routes/calls.js';
import { kaleyraRoutes } from './routes/kaleyra.js';
import { opsRoutes } from './routes/ops.js';
import { userDevicesRoutes } from './routes/user-devices.js';
import { ErrorSchema } from './schemas.js';

type AjvPlugin = NonNullable<NonNullable<FastifyServerOptions['ajv']>['plugins']>[number];
// ajv-formats is CommonJS; under NodeNext its default import is the module object or the function itself.
const formatsPlugin = ((ajvFormats as unknown as { default?: unknown }).default ?? ajvFormats) as AjvPlugin;

export interface HttpOptions {
  bodyLimitBytes: number;
  logger: FastifyBaseLogger;
  version: string;
  metrics: Registry;
  corsOrigins: '*' | string[];
}

/** Builds the gateway's HTTP server: every route group is a plugin given the services it needs. */
export async function buildHttpServer(services: Services, options: HttpOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger,
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

  instrument(app, options.metrics);
  const metrics = options.metrics;
  await app.register(opsRoutes, { services, metrics });
  await app.register(adminAppsRoutes, { services });
  await app.register(appProvidersRoutes, { services });
  await app.register(appUsersRoutes, { services });
  await app.register(userDevicesRoutes, { services });
  await app.register(callsRoutes, { services });
  await app.register(kaleyraRoutes, { services });
  await app.register(websocket, { options: { maxPayload: MAX_FRAME_BYTES } });
  await app.register(connectRoute, { services, ...services.connections });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}
