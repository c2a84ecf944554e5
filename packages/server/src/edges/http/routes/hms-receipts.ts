import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import {
  HmsReceiptBodySchema,
  type HmsReceiptIntake,
  MAX_BODY_BYTES,
  type ReceiptSigners,
} from '#integrations/hms-receipts';
import { AppKeyParam, errorResponses } from '../schemas.js';

const ReceiptAnswerSchema = Type.Object({
  errno: Type.String({ description: "'0': recorded (what Huawei's receipt API expects)" }),
  errmsg: Type.String(),
  matched: Type.Integer({ description: 'statuses recorded on a delivery' }),
  ignored: Type.Integer({ description: 'statuses of no delivery of the app (another app, or gone): ignored' }),
});

/**
 * Huawei Push Kit's message receipts (docs/providers.md#hms-receipts). The callback id header is checked before
 * the body is read: it signs no body, so nothing of the body is trusted before it holds, nor parsed for a
 * sender without it.
 */
export const hmsReceiptsRoutes: FastifyPluginAsyncTypebox<{ intake: HmsReceiptIntake }> = async (app, { intake }) => {
  const signers = new WeakMap<FastifyRequest, ReceiptSigners>();
  app.addHook('onRequest', async (req) => {
    const { appKey } = req.params as { appKey: string };
    const header = req.headers['x-huawei-callback-id'];
    signers.set(req, await intake.authenticate(appKey, Array.isArray(header) ? header[0] : header));
  });

  app.post(
    '/v1/webhooks/hms-receipts/:appKey',
    {
      bodyLimit: MAX_BODY_BYTES,
      schema: {
        tags: ['webhooks'],
        summary: "Huawei Push Kit message receipts: each status marks the delivery of the send's requestId and token",
        params: Type.Object({ appKey: AppKeyParam }),
        headers: Type.Object({
          'x-huawei-callback-id': Type.String({
            description: 'timestamp=<ms>;nonce=<uuid>;value=<base64 HMAC-SHA256 of timestamp, nonce and user name>',
          }),
        }),
        body: HmsReceiptBodySchema,
        response: { 200: ReceiptAnswerSchema, ...errorResponses(400, 401, 413, 415) },
      },
    },
    async (req) => intake.intake(req.params.appKey, signers.get(req)!, req.body),
  );
};
