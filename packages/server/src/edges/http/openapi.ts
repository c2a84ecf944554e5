import swagger, { type SwaggerTransform, type SwaggerTransformObject } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { nameDiscriminatedBodies } from './openapi-document.js';
import { operationOf, TAGS } from './openapi-operations.js';

/**
 * The one hook that turns route schemas into documented operations: each route found in the operations map
 * gets its operationId, tag and the rest of its entry, in the document only (requests are still validated
 * against the route's own schema). A route the map lacks is left as it is: documented without an
 * operationId (which the OpenAPI test and the linter refuse), or hidden if its schema says so, as the
 * Swagger UI's assets are.
 */
const documentRoute: SwaggerTransform = ({ schema, url, route }) => {
  const found = operationOf(String(route.method), url);
  if (!found) return { schema, url };
  const { tag, doc } = found;
  const response: Record<string, unknown> = { ...(schema?.response as object | undefined), ...doc.responses };
  // Every route can answer a client error in the contract (a missing Host, a URL or headers too long, a
  // timed-out body): one that declares none of its own documents that much.
  if (!Object.keys(response).some((status) => status.startsWith('4'))) response['4xx'] = { $ref: 'Error' };
  const body = schema?.body as object | undefined;
  const named = body && {
    ...body,
    ...(doc.examples ? { 'x-examples': doc.examples } : {}),
    ...(doc.bodyName ? { title: doc.bodyName } : {}),
  };
  return {
    url: doc.path ?? url,
    schema: {
      ...(doc.summary ? { summary: doc.summary } : {}),
      ...schema,
      hide: false,
      operationId: doc.id,
      tags: [tag],
      ...(doc.security ? { security: [...doc.security] } : {}),
      response,
      ...(named ? { body: named } : {}),
    },
  };
};

const finishDocument: SwaggerTransformObject = (document) => {
  const openapi = 'openapiObject' in document ? document.openapiObject : undefined;
  if (openapi) nameDiscriminatedBodies(openapi);
  return openapi ?? {};
};

/** Registers the OpenAPI document generator and the Swagger UI at `/docs`; the document is served by the caller. */
export async function registerOpenApi(app: FastifyInstance, version: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'callpush',
        version,
        description:
          'Managed push for calling apps: apps, user access tokens, device registry, calls. Errors are ' +
          '{"error":{"code","message","field"}} with their status.',
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      },
      // Relative: the gateway that serves this document (generated clients are given their base URL).
      servers: [{ url: '/', description: 'this gateway' }],
      tags: Object.entries(TAGS).map(([name, description]) => ({ name, description })),
      components: {
        securitySchemes: {
          admin: { type: 'http', scheme: 'bearer', description: 'CALLPUSH_ADMIN_TOKEN' },
          app: { type: 'http', scheme: 'basic', description: 'appKey:appSecret' },
          user: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'user access token (hkdfv1)' },
          metrics: { type: 'http', scheme: 'bearer', description: 'CALLPUSH_METRICS_TOKEN, when set' },
        },
      },
    },
    transform: documentRoute,
    transformObject: finishDocument,
    refResolver: {
      buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
}
