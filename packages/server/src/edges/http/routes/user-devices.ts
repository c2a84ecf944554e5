import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { DevicesService } from '#domain/devices';
import { type Authenticator, userOf } from '../authenticator.js';
import { errorResponses, Id } from '../schemas.js';
import { DeviceSchema, RegisterDeviceBody } from './devices-schema.js';

const Params = Type.Object({ deviceId: Id('the app-chosen device id (stable per installation)') });

/** A signed-in user's own devices (user access token). */
export const userDevicesRoutes: FastifyPluginAsyncTypebox<{ devices: DevicesService; auth: Authenticator }> = async (
  app,
  { devices, auth },
) => {
  app.addHook('onRequest', async (req) => auth.user(req));
  const security = [{ user: [] }];
  const tags = ['devices'];

  app.put(
    '/v1/me/devices/:deviceId',
    {
      schema: {
        tags,
        security,
        summary:
          'Register (or re-register) this device with its registrations; a token registered elsewhere moves here',
        params: Params,
        body: RegisterDeviceBody,
        response: {
          200: DeviceSchema,
          201: DeviceSchema,
          ...errorResponses(400, 401, 413),
        },
      },
    },
    async (req, reply) => {
      const { appKey, userId } = userOf(req);
      const result = await devices.register(appKey, userId, req.params.deviceId, req.body);
      if (result.movedFrom.length || result.evicted.length) {
        req.log.info(
          { moved: result.movedFrom.length, evicted: result.evicted.length },
          'device registration displaced others',
        );
      }
      return reply.code(result.created ? 201 : 200).send(result.device);
    },
  );

  app.get(
    '/v1/me/devices/:deviceId',
    {
      schema: {
        tags,
        security,
        summary: 'Show this device',
        params: Params,
        response: { 200: DeviceSchema, ...errorResponses(401, 404) },
      },
    },
    async (req) => {
      const { appKey, userId } = userOf(req);
      return devices.get(appKey, userId, req.params.deviceId);
    },
  );

  app.get(
    '/v1/me/devices',
    {
      schema: {
        tags,
        security,
        summary: "List the user's devices",
        response: { 200: Type.Object({ devices: Type.Array(DeviceSchema) }), ...errorResponses(401) },
      },
    },
    async (req) => {
      const { appKey, userId } = userOf(req);
      return { devices: await devices.listForUser(appKey, userId) };
    },
  );

  app.delete(
    '/v1/me/devices/:deviceId',
    {
      schema: {
        tags,
        security,
        summary: 'Unregister this device (logout)',
        params: Params,
        response: { 204: Type.Null(), ...errorResponses(401, 404) },
      },
    },
    async (req, reply) => {
      const { appKey, userId } = userOf(req);
      await devices.delete(appKey, userId, req.params.deviceId);
      return reply.code(204).send(null);
    },
  );
};
