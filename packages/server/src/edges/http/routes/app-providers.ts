import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ProviderCredentialSchema, type ProvidersService } from '#providers';
import { type Authenticator, appOf } from '../authenticator.js';
import { notFound } from '../errors.js';
import { AppKeyParam, errorResponses, Id } from '../schemas.js';

const ProviderViewSchema = Type.Object({
  name: Type.String(),
  type: Type.String(),
  config: Type.Object({}, { additionalProperties: true, description: 'public fields and fingerprints of the secrets' }),
  createdAt: Type.Integer(),
  updatedAt: Type.Integer(),
});

const Params = Type.Object({ appKey: AppKeyParam, name: Id('credential name, e.g. fcm or apns-voip') });

/** Named provider credentials of the authenticated app. Secrets go in; only fingerprints come out. */
export const appProvidersRoutes: FastifyPluginAsyncTypebox<{
  providers: ProvidersService;
  auth: Authenticator;
}> = async (app, { providers, auth }) => {
  app.addHook('onRequest', async (req) => auth.app(req));
  const security = [{ app: [] }];
  const tags = ['providers'];

  app.put(
    '/v1/apps/:appKey/providers/:name',
    {
      schema: {
        tags,
        security,
        summary: 'Create or replace a provider credential',
        params: Params,
        body: ProviderCredentialSchema,
        response: { 200: ProviderViewSchema, 201: ProviderViewSchema, ...errorResponses(400, 401, 403, 413) },
      },
    },
    async (req, reply) => {
      const appKey = appOf(req, req.params.appKey);
      const { view, created } = await providers.put(appKey, req.params.name, req.body);
      return reply.code(created ? 201 : 200).send(view);
    },
  );

  app.get(
    '/v1/apps/:appKey/providers',
    {
      schema: {
        tags,
        security,
        summary: 'List provider credentials',
        params: Type.Object({ appKey: AppKeyParam }),
        response: { 200: Type.Object({ providers: Type.Array(ProviderViewSchema) }), ...errorResponses(401, 403) },
      },
    },
    async (req) => ({ providers: await providers.list(appOf(req, req.params.appKey)) }),
  );

  app.get(
    '/v1/apps/:appKey/providers/:name',
    {
      schema: {
        tags,
        security,
        summary: 'Show a provider credential (public parts and fingerprints)',
        params: Params,
        response: { 200: ProviderViewSchema, ...errorResponses(401, 403, 404) },
      },
    },
    async (req) => {
      const view = await providers.get(appOf(req, req.params.appKey), req.params.name);
      if (!view) throw notFound('provider_not_found', `no provider credential named ${req.params.name}`);
      return view;
    },
  );

  app.delete(
    '/v1/apps/:appKey/providers/:name',
    {
      schema: {
        tags,
        security,
        summary: 'Delete a provider credential',
        params: Params,
        response: { 204: Type.Null(), ...errorResponses(401, 403, 404) },
      },
    },
    async (req, reply) => {
      if (!(await providers.delete(appOf(req, req.params.appKey), req.params.name))) {
        throw notFound('provider_not_found', `no provider credential named ${req.params.name}`);
      }
      return reply.code(204).send(null);
    },
  );
};
