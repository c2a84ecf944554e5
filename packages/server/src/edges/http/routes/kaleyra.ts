import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  KaleyraConfigSchema,
  type KaleyraConfigStore,
  KaleyraConfigViewSchema,
  type KaleyraIntake,
} from '#integrations/kaleyra';
import { type Authenticator, appOf } from '../authenticator.js';
import { notFound } from '../errors.js';
import { AppKeyParam, errorResponses } from '../schemas.js';

const tags = ['webhooks'];
const AppParams = Type.Object({ appKey: AppKeyParam });

/** The app's Kaleyra webhook configuration: secrets go in, only fingerprints come out. */
export interface KaleyraRoutesDeps {
  configs: KaleyraConfigStore;
  intake: KaleyraIntake;
  auth: Authenticator;
}

const configRoutes: FastifyPluginAsyncTypebox<KaleyraRoutesDeps> = async (app, { configs, auth }) => {
  app.addHook('onRequest', async (req) => auth.app(req));
  const security = [{ app: [] }];

  app.put(
    '/v1/apps/:appKey/webhooks/kaleyra',
    {
      schema: {
        tags,
        security,
        summary: 'Configure Kaleyra webhook intake: signing secret and scheme, payload format, SDK credentials',
        params: AppParams,
        body: KaleyraConfigSchema,
        response: { 200: KaleyraConfigViewSchema, 201: KaleyraConfigViewSchema, ...errorResponses(400, 401, 403) },
      },
    },
    async (req, reply) => {
      const { view, created } = await configs.put(appOf(req, req.params.appKey), req.body);
      return reply.code(created ? 201 : 200).send(view);
    },
  );

  app.get(
    '/v1/apps/:appKey/webhooks/kaleyra',
    {
      schema: {
        tags,
        security,
        summary: 'Show the Kaleyra webhook configuration (fingerprints of the secrets)',
        params: AppParams,
        response: { 200: KaleyraConfigViewSchema, ...errorResponses(401, 403, 404) },
      },
    },
    async (req) => {
      const view = await configs.view(appOf(req, req.params.appKey));
      if (!view) throw notFound('webhook_not_configured', 'no Kaleyra webhook is configured for this app');
      return view;
    },
  );
};

/** Kaleyra's webhook calls: authenticated by their signature, which covers the exact bytes sent. */
const intakeRoutes: FastifyPluginAsyncTypebox<KaleyraRoutesDeps> = async (app, { intake }) => {
  // Keep the body as bytes: re-serialised JSON would not be what was signed. Only this plugin is affected.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.post(
    '/v1/webhooks/kaleyra/:appKey',
    {
      schema: {
        tags,
        summary:
          'Kaleyra event webhook (on_call_incoming rings; on_missed_call and call ends stop the ring; on_message_sent notifies the other chat members)',
        params: AppParams,
        response: {
          200: Type.Object({ event: Type.String(), action: Type.String(), callId: Type.Optional(Type.String()) }),
          ...errorResponses(400, 401, 413, 429),
        },
      },
    },
    async (req) => {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      return intake.intake(req.params.appKey, raw, req.headers);
    },
  );
};

export const kaleyraRoutes: FastifyPluginAsyncTypebox<KaleyraRoutesDeps> = async (app, opts) => {
  await app.register(configRoutes, opts);
  await app.register(intakeRoutes, opts);
};
