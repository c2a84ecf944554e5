import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  AppSettingsPatchSchema,
  AppSettingsSchema,
  type AppSettingsService,
  NotificationTextsSchema,
} from '#domain/apps';
import { type Authenticator, appOf } from '../authenticator.js';
import { AppKeyParam, errorResponses } from '../schemas.js';

const NotificationTextsViewSchema = Type.Object({
  ...NotificationTextsSchema.properties,
  defaultLocale: Type.String(),
  builtIn: Type.Boolean({ description: 'true: the app stored no texts; these are the built-in English ones' }),
});

const Params = Type.Object({ appKey: AppKeyParam });

/** The authenticated app's call settings and notification texts (docs/notifications.md). */
export const appSettingsRoutes: FastifyPluginAsyncTypebox<{
  settings: AppSettingsService;
  auth: Authenticator;
}> = async (app, { settings, auth }) => {
  app.addHook('onRequest', async (req) => auth.app(req));
  const security = [{ app: [] }];
  const tags = ['settings'];

  app.get(
    '/v1/apps/:appKey/settings',
    {
      schema: {
        tags,
        security,
        summary: 'Show the call settings',
        params: Params,
        response: { 200: AppSettingsSchema, ...errorResponses(401, 403) },
      },
    },
    async (req) => settings.settingsOf(appOf(req, req.params.appKey)),
  );

  app.put(
    '/v1/apps/:appKey/settings',
    {
      schema: {
        tags,
        security,
        summary: 'Change some call settings (the fields left out keep their values)',
        params: Params,
        body: AppSettingsPatchSchema,
        response: { 200: AppSettingsSchema, ...errorResponses(400, 401, 403, 413) },
      },
    },
    async (req) => settings.putSettings(appOf(req, req.params.appKey), req.body),
  );

  app.get(
    '/v1/apps/:appKey/notifications',
    {
      schema: {
        tags,
        security,
        summary: 'Show the notification texts per locale',
        params: Params,
        response: { 200: NotificationTextsViewSchema, ...errorResponses(401, 403) },
      },
    },
    async (req) => settings.notificationsOf(appOf(req, req.params.appKey)),
  );

  app.put(
    '/v1/apps/:appKey/notifications',
    {
      schema: {
        tags,
        security,
        summary: 'Replace the notification texts per locale',
        params: Params,
        body: NotificationTextsSchema,
        response: { 200: NotificationTextsViewSchema, ...errorResponses(400, 401, 403, 413) },
      },
    },
    async (req) => settings.putNotifications(appOf(req, req.params.appKey), req.body),
  );
};
