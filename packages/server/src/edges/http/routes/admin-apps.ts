import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppsService } from '#domain/apps';
import type { Authenticator } from '../authenticator.js';
import { notFound } from '../errors.js';
import { AppKeyParam, errorResponses } from '../schemas.js';

const AppSchema = Type.Object({
  key: Type.String(),
  name: Type.String(),
  createdAt: Type.Integer({ description: 'epoch ms' }),
});

/** Operator routes: create, list and delete apps (admin bearer token). */
export const adminAppsRoutes: FastifyPluginAsyncTypebox<{ apps: AppsService; auth: Authenticator }> = async (
  app,
  { apps, auth },
) => {
  app.addHook('onRequest', async (req) => auth.admin(req));
  const security = [{ admin: [] }];

  app.post(
    '/v1/apps',
    {
      schema: {
        tags: ['admin'],
        summary: 'Create an app; its secret is returned this once',
        security,
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
        response: {
          201: Type.Object({ ...AppSchema.properties, secret: Type.String({ description: 'shown only now' }) }),
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (req, reply) => reply.code(201).send(await apps.create(req.body.name)),
  );

  app.get(
    '/v1/apps',
    {
      schema: {
        tags: ['admin'],
        summary: 'List apps',
        security,
        response: { 200: Type.Object({ apps: Type.Array(AppSchema) }), ...errorResponses(401, 403) },
      },
    },
    async () => ({ apps: await apps.list() }),
  );

  app.delete(
    '/v1/apps/:appKey',
    {
      schema: {
        tags: ['admin'],
        summary: 'Delete an app with its providers and devices',
        security,
        params: Type.Object({ appKey: AppKeyParam }),
        response: { 204: Type.Null(), ...errorResponses(401, 403, 404) },
      },
    },
    async (req, reply) => {
      if (!(await apps.delete(req.params.appKey))) throw notFound('app_not_found', 'no such app');
      return reply.code(204).send(null);
    },
  );
};
