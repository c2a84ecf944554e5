import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { CallHistory, CallsService } from '#domain/calls';
import { InvalidInput } from '#kernel';
import { type Authenticator, appOf } from '../authenticator.js';
import { errorResponses, Id } from '../schemas.js';
import { CallSchema, view } from './calls.js';

/** The caller of every test ring: a user id no app hands out by accident. */
const TEST_CALLER = 'callpush-test';
const TEST_RING_SECONDS = 20;

const Finding = {
  code: Type.String({ description: 'machine-readable, snake_case (docs/diagnosis.md)' }),
  message: Type.String({ description: 'the same in plain words' }),
};

const DiagnosisSchema = Type.Object({
  callId: Type.String(),
  state: Type.String(),
  test: Type.Optional(Type.Boolean({ description: 'a test ring' })),
  devices: Type.Array(
    Type.Object({
      userId: Type.String(),
      deviceId: Type.Optional(Type.String({ description: 'absent when the callee had no device to ring' })),
      ...Finding,
      deliveryId: Type.Optional(Type.String()),
      transport: Type.Optional(Type.String({ description: 'push or connection' })),
      provider: Type.Optional(Type.String({ description: 'the provider credential the ring went to' })),
      notes: Type.Array(Type.Object(Finding), { description: 'further facts: reported capabilities, skipped cancels' }),
    }),
    { description: 'one per ring of each callee device; one per callee nothing could ring' },
  ),
});

/** "Why didn't it ring?": the diagnosis of a call, and a test ring to diagnose (app credentials). */
export const diagnosisRoutes: FastifyPluginAsyncTypebox<{
  calls: CallsService;
  history: CallHistory;
  auth: Authenticator;
}> = async (app, { calls, history, auth }) => {
  app.addHook('onRequest', async (req) => auth.app(req));
  const security = [{ app: [] }];
  const tags = ['diagnosis'];

  app.get(
    '/v1/calls/:callId/diagnosis',
    {
      schema: {
        tags,
        security,
        summary: 'Why each callee device of a call rang or did not, in plain words and as a code',
        params: Type.Object({ callId: Type.String({ minLength: 1, maxLength: 64 }) }),
        response: { 200: DiagnosisSchema, ...errorResponses(401, 404) },
      },
    },
    async (req) => history.diagnose(appOf(req), req.params.callId),
  );

  app.post(
    '/v1/users/:userId/test-ring',
    {
      schema: {
        tags,
        security,
        summary: `Ring the user's devices with a marked test call (${TEST_RING_SECONDS} s, no missed-call notice) to diagnose`,
        params: Type.Object({ userId: Id('the user whose devices ring') }),
        response: { 201: CallSchema, ...errorResponses(400, 401, 413, 429) },
      },
    },
    async (req, reply) => {
      const { userId } = req.params;
      if (userId === TEST_CALLER) {
        throw new InvalidInput('invalid_callee', `${TEST_CALLER} places the test rings; it cannot be rung`, 'userId');
      }
      const { call, deliveries } = await calls.place(appOf(req), {
        from: TEST_CALLER,
        to: [userId],
        displayName: 'callpush test ring',
        ringTimeoutSeconds: TEST_RING_SECONDS,
        test: true,
      });
      return reply.code(201).send(view(call, deliveries));
    },
  );
};
