import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { EVENT_TYPES, type EventEndpoints } from '#domain/events';
import { type Authenticator, appOf } from '../authenticator.js';
import { notFound } from '../errors.js';
import { AppKeyParam, errorResponses } from '../schemas.js';

const EventTypeSchema = Type.Union(
  EVENT_TYPES.map((t) => Type.Literal(t)),
  { description: 'an event type (docs/events.md)' },
);

const EndpointBody = Type.Object(
  {
    url: Type.String({
      format: 'uri',
      maxLength: 2048,
      description: 'where events are POSTed: https to a public address unless the operator allows private ones',
    }),
    events: Type.Optional(
      Type.Array(EventTypeSchema, {
        minItems: 1,
        uniqueItems: true,
        description: 'the types to send; left out: every type, also those added later',
      }),
    ),
    rotateSecret: Type.Optional(
      Type.Boolean({ description: 'a new signing secret; the old one stays valid and signs too for the overlap' }),
    ),
  },
  { additionalProperties: false },
);

const EndpointSchema = Type.Object({
  url: Type.String(),
  events: Type.Union([Type.Array(Type.String()), Type.Null()], { description: 'null: every type' }),
  disabled: Type.Boolean(),
  disabledAt: Type.Optional(Type.Integer()),
  disabledReason: Type.Optional(Type.String({ description: 'gone: the endpoint answered 410' })),
  secretFingerprint: Type.String(),
  previousSecretFingerprint: Type.Optional(Type.String()),
  previousSecretValidUntil: Type.Optional(Type.Integer()),
  createdAt: Type.Integer(),
  updatedAt: Type.Integer(),
});

const PutResultSchema = Type.Object({
  ...EndpointSchema.properties,
  signingSecret: Type.Optional(
    Type.String({ description: 'whsec_…, shown only when the endpoint is created or its secret rotated' }),
  ),
});

const AttemptSchema = Type.Object({
  eventId: Type.String({ description: 'the webhook-id of the event' }),
  type: Type.String(),
  url: Type.String(),
  attempt: Type.Integer(),
  status: Type.Union([Type.Integer(), Type.Null()], { description: 'the HTTP status; null when none came' }),
  error: Type.Union([Type.String(), Type.Null()], { description: 'a short code (docs/events.md); null on 2xx' }),
  latencyMs: Type.Integer(),
  at: Type.Integer(),
});

const Params = Type.Object({ appKey: AppKeyParam });

const noEndpoint = () => notFound('event_endpoint_not_found', 'this app has no event endpoint');

/** `found`, or the 404 of an app without an endpoint. */
function orNoEndpoint<T>(found: T | undefined): T {
  if (found === undefined) throw noEndpoint();
  return found;
}

/** The authenticated app's event endpoint (docs/events.md): where its backend hears what happened. */
export const eventWebhooksRoutes: FastifyPluginAsyncTypebox<{
  events: EventEndpoints;
  auth: Authenticator;
}> = async (app, { events, auth }) => {
  app.addHook('onRequest', async (req) => auth.app(req));
  const security = [{ app: [] }];
  const tags = ['events'];
  const path = '/v1/apps/:appKey/webhooks/events';

  app.put(
    path,
    {
      schema: {
        tags,
        security,
        summary: 'Create or replace the event endpoint; the signing secret is shown once',
        params: Params,
        body: EndpointBody,
        response: { 200: PutResultSchema, 201: PutResultSchema, ...errorResponses(400, 401, 403, 413) },
      },
    },
    async (req, reply) => {
      const { view, created, signingSecret } = await events.put(appOf(req, req.params.appKey), req.body);
      return reply.code(created ? 201 : 200).send({ ...view, ...(signingSecret ? { signingSecret } : {}) });
    },
  );

  app.get(
    path,
    {
      schema: {
        tags,
        security,
        summary: 'Show the event endpoint (fingerprints of its secrets, never a secret)',
        params: Params,
        response: { 200: EndpointSchema, ...errorResponses(401, 403, 404) },
      },
    },
    async (req) => orNoEndpoint(await events.get(appOf(req, req.params.appKey))),
  );

  app.delete(
    path,
    {
      schema: {
        tags,
        security,
        summary: 'Delete the event endpoint; events still owed to it are dropped',
        params: Params,
        response: { 204: Type.Null(), ...errorResponses(401, 403, 404) },
      },
    },
    async (req, reply) => {
      if (!(await events.remove(appOf(req, req.params.appKey)))) throw noEndpoint();
      return reply.code(204).send(null);
    },
  );

  app.post(
    `${path}/test`,
    {
      schema: {
        tags,
        security,
        summary: 'Send a signed test event to the endpoint now and show the attempt',
        params: Params,
        response: { 200: AttemptSchema, ...errorResponses(401, 403, 404) },
      },
    },
    async (req) => orNoEndpoint(await events.test(appOf(req, req.params.appKey))),
  );

  app.get(
    `${path}/deliveries`,
    {
      schema: {
        tags,
        security,
        summary: 'The latest delivery attempts, newest first',
        params: Params,
        querystring: Type.Object(
          { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ attempts: Type.Array(AttemptSchema) }), ...errorResponses(400, 401, 403) },
      },
    },
    async (req) => ({ attempts: await events.attempts(appOf(req, req.params.appKey), req.query.limit ?? 50) }),
  );
};
