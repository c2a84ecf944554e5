import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppsService } from '#domain/apps';
import type { CallHistory } from '#domain/calls';
import type { DevicesService } from '#domain/devices';
import { mintAccessToken, type TokenSettings } from '#infra/tokens';
import { type Authenticator, appOf } from '../authenticator.js';
import { errorResponses, Id } from '../schemas.js';
import { DeviceSchema } from './devices-schema.js';

const UserParams = Type.Object({ userId: Id('the app-chosen user id') });

/** A device as the app backend sees it: with its last ring and its last receipt (the funnel per device). */
const UserDeviceSchema = Type.Object({
  ...DeviceSchema.properties,
  lastRing: Type.Optional(
    Type.Object(
      {
        callId: Type.String(),
        at: Type.Integer({ description: 'when the ring was made, epoch ms' }),
        state: Type.String({ description: 'pending, sent, received, failed, expired or skipped' }),
        transport: Type.String({ description: 'push or connection' }),
        outcome: Type.Optional(
          Type.String({ description: 'the last outcome: sent, retry, token_gone, config_error, …' }),
        ),
        detail: Type.Optional(Type.String({ description: "the provider's reason, or how it went" })),
      },
      { description: 'the last call that rang this device' },
    ),
  ),
  lastReceipt: Type.Optional(
    Type.Object(
      { callId: Type.String(), at: Type.Integer({ description: 'when the device confirmed it, epoch ms' }) },
      { description: 'the last ring this device confirmed with a receipt' },
    ),
  ),
});

/** The app backend's view of its users: issue access tokens, inspect and remove devices (app credentials). */
export interface AppUsersDeps {
  apps: Pick<AppsService, 'secretOf'>;
  devices: DevicesService;
  /** Each device's last ring and receipt. */
  history: Pick<CallHistory, 'devicesOf'>;
  tokens: TokenSettings;
  auth: Authenticator;
}

export const appUsersRoutes: FastifyPluginAsyncTypebox<AppUsersDeps> = async (
  app,
  { apps, devices, history, tokens, auth },
) => {
  app.addHook('onRequest', async (req) => auth.app(req));
  const security = [{ app: [] }];
  const tags = ['users'];

  app.post(
    '/v1/users/:userId/access-tokens',
    {
      schema: {
        tags,
        security,
        summary: 'Issue a user access token (hkdfv1 HS256 JWT)',
        params: UserParams,
        body: Type.Object(
          {
            ttlSeconds: Type.Optional(
              Type.Integer({ minimum: 60, description: 'capped by the server lifetime limit' }),
            ),
          },
          { additionalProperties: false, description: 'optional; an empty POST issues a one-hour token' },
        ),
        response: {
          201: Type.Object({
            userId: Type.String(),
            accessToken: Type.String(),
            expiresAt: Type.Integer({ description: 'epoch ms' }),
          }),
          ...errorResponses(400, 401),
        },
      },
      // The body is optional: `curl -X POST` without one issues a token with the default lifetime.
      preValidation: async (req) => {
        req.body ??= {};
      },
    },
    async (req, reply) => {
      const appKey = appOf(req);
      const secret = await apps.secretOf(appKey);
      const minted = await mintAccessToken(tokens, {
        appKey,
        appSecret: secret!,
        userId: req.params.userId,
        ttlSeconds: req.body.ttlSeconds ?? 3600,
      });
      return reply.code(201).send({ userId: req.params.userId, ...minted });
    },
  );

  app.get(
    '/v1/users/:userId/devices',
    {
      schema: {
        tags,
        security,
        summary: "List a user's devices, each with its capabilities, last ring and last receipt",
        params: UserParams,
        response: { 200: Type.Object({ devices: Type.Array(UserDeviceSchema) }), ...errorResponses(401) },
      },
    },
    async (req) => ({ devices: await history.devicesOf(appOf(req), req.params.userId) }),
  );

  app.delete(
    '/v1/users/:userId/devices/:deviceId',
    {
      schema: {
        tags,
        security,
        summary: "Remove one of a user's devices",
        params: Type.Object({ userId: Id('the user id'), deviceId: Id('the device id') }),
        response: { 204: Type.Null(), ...errorResponses(401, 404) },
      },
    },
    async (req, reply) => {
      await devices.delete(appOf(req), req.params.userId, req.params.deviceId);
      return reply.code(204).send(null);
    },
  );
};
