import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { type Call, type CallsService, type Delivery, MAX_CALLEES, MAX_RING_SECONDS } from '#domain/calls';
import { InvalidInput, NotFound } from '#kernel';
import { type Authenticator, principalOf } from '../authenticator.js';
import { forbidden } from '../errors.js';
import { errorResponses, Id } from '../schemas.js';

const DeliverySchema = Type.Object({
  deliveryId: Type.String(),
  type: Type.String({ description: 'ring, cancel or missed (a missed-call notice)' }),
  userId: Type.String(),
  deviceId: Type.String(),
  provider: Type.String(),
  providerType: Type.String(),
  transport: Type.String({ description: 'connection (over the active connection) or push' }),
  kind: Type.String(),
  state: Type.String({ description: 'pending, sent, received, failed, expired or skipped' }),
  outcome: Type.Optional(Type.String()),
  detail: Type.Optional(Type.String()),
  cancelReason: Type.Optional(
    Type.String({ description: 'why a cancel stops the ring; for a missed notice, why it was missed' }),
  ),
  attempts: Type.Integer(),
  createdAt: Type.Integer(),
  firstAttemptAt: Type.Optional(Type.Integer()),
  sentAt: Type.Optional(Type.Integer()),
  receivedAt: Type.Optional(Type.Integer()),
});

const CallSchema = Type.Object({
  callId: Type.String(),
  state: Type.String({ description: 'ringing, answered, declined, busy, cancelled, timed_out or ended' }),
  from: Type.String(),
  to: Type.Array(Type.String()),
  callees: Type.Record(Type.String(), Type.String(), {
    description: 'each callee: ringing, answered, declined or busy',
  }),
  video: Type.Boolean(),
  displayName: Type.Optional(Type.String()),
  headers: Type.Record(Type.String(), Type.String()),
  endReason: Type.Optional(Type.String()),
  answeredBy: Type.Optional(Type.Object({ userId: Type.String(), deviceId: Type.String() })),
  createdAt: Type.Integer(),
  expiresAt: Type.Integer(),
  deliveries: Type.Array(DeliverySchema),
});

const PlaceCallBody = Type.Object(
  {
    from: Type.Optional(Id('the caller; a user token implies its own user')),
    to: Type.Array(Id('a callee user id'), { minItems: 1, maxItems: MAX_CALLEES }),
    video: Type.Optional(Type.Boolean()),
    headers: Type.Optional(
      Type.Record(Type.String({ maxLength: 256 }), Type.String({ maxLength: 1024 }), {
        description: 'custom string headers, at most 1024 bytes of keys plus values',
      }),
    ),
    displayName: Type.Optional(Type.String({ maxLength: 128 })),
    ringTimeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_RING_SECONDS, default: 30 })),
  },
  { additionalProperties: false },
);

const DeviceBody = Type.Object({ deviceId: Id('the callee device acting') }, { additionalProperties: false });
const DeclineBody = Type.Object(
  {
    deviceId: Id('the callee device acting'),
    reason: Type.Optional(
      Type.Literal('busy', { description: 'the callee is in another call: recorded as busy, not declined' }),
    ),
  },
  { additionalProperties: false },
);

const CallStatusSchema = Type.Object({
  callId: Type.String(),
  state: Type.String({
    description: "the call's state: ringing, answered, declined, busy, cancelled, timed_out or ended",
  }),
  status: Type.String({
    description:
      'what the call means for the device asking: ringing (keep ringing), answered (on this device), ' +
      'answered_elsewhere, declined, busy, cancelled, timed_out or ended; for the caller, the call state',
  }),
  endReason: Type.Optional(Type.String()),
});
const ReceiptSchema = Type.Object({ ...DeliverySchema.properties, call: CallStatusSchema });
const Params = Type.Object({ callId: Type.String({ minLength: 1, maxLength: 64 }) });

function view(call: Call, deliveries: Delivery[]) {
  return {
    callId: call.id,
    state: call.state,
    from: call.from,
    to: Object.keys(call.callees),
    callees: call.callees,
    video: call.video,
    ...(call.displayName !== undefined ? { displayName: call.displayName } : {}),
    headers: call.headers,
    ...(call.endReason ? { endReason: call.endReason } : {}),
    ...(call.answeredBy ? { answeredBy: call.answeredBy } : {}),
    createdAt: call.createdAt,
    expiresAt: call.expiresAt,
    deliveries: deliveries.map((d) => ({
      deliveryId: d.id,
      type: d.type,
      userId: d.userId,
      deviceId: d.deviceId,
      provider: d.provider,
      providerType: d.providerType,
      transport: d.transport,
      kind: d.kind,
      state: d.state,
      ...(d.outcome ? { outcome: d.outcome } : {}),
      ...(d.detail ? { detail: d.detail } : {}),
      ...(d.cancelReason ? { cancelReason: d.cancelReason } : {}),
      attempts: d.attempts,
      createdAt: d.createdAt,
      ...(d.firstAttemptAt !== undefined ? { firstAttemptAt: d.firstAttemptAt } : {}),
      ...(d.sentAt !== undefined ? { sentAt: d.sentAt } : {}),
      ...(d.receivedAt !== undefined ? { receivedAt: d.receivedAt } : {}),
    })),
  };
}

function calleeOf(req: FastifyRequest, call: Call): string {
  const p = principalOf(req);
  if (p.kind !== 'user') throw forbidden('user_required', 'only a callee, with its user token, can do this');
  if (!(p.userId in call.callees)) throw forbidden('not_a_callee', 'this user is not a callee of the call');
  return p.userId;
}

/** The calls API: place, inspect, cancel, answer, decline, end, and ring receipts. */
export const callsRoutes: FastifyPluginAsyncTypebox<{ calls: CallsService; auth: Authenticator }> = async (
  app,
  { calls, auth },
) => {
  app.addHook('onRequest', async (req) => auth.appOrUser(req));
  const security: Array<Record<string, string[]>> = [{ app: [] }, { user: [] }];
  const tags = ['calls'];

  /** Loads a call the principal may see: the app's own, or one the user is part of. */
  async function visible(req: FastifyRequest, callId: string) {
    const p = principalOf(req);
    const found = await calls.get(p.appKey, callId);
    if (p.kind === 'user' && found.call.from !== p.userId && !(p.userId in found.call.callees)) {
      throw new NotFound('call_not_found', `no call ${callId}`);
    }
    return found;
  }

  app.post(
    '/v1/calls',
    {
      schema: {
        tags,
        security,
        summary: 'Place a call: every device of every callee rings at once',
        headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 128 })) }),
        body: PlaceCallBody,
        response: { 200: CallSchema, 201: CallSchema, ...errorResponses(400, 401, 403, 413, 429) },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      let from = req.body.from;
      if (p.kind === 'user') {
        if (from !== undefined && from !== p.userId) throw forbidden('wrong_caller', 'a user can only call as itself');
        from = p.userId;
      }
      if (from === undefined) throw new InvalidInput('validation_failed', 'from is required', 'from');
      const key = req.headers['idempotency-key'];
      const by = p.kind === 'user' ? { kind: 'user' as const, userId: p.userId } : { kind: 'app' as const };
      const result = await calls.place(
        p.appKey,
        { ...req.body, from },
        typeof key === 'string' ? { key, by } : undefined,
      );
      if (result.replayed) reply.header('idempotent-replayed', 'true');
      return reply.code(result.replayed ? 200 : 201).send(view(result.call, result.deliveries));
    },
  );

  app.get(
    '/v1/calls/:callId',
    {
      schema: {
        tags,
        security,
        summary: 'Call state and every delivery',
        params: Params,
        response: { 200: CallSchema, ...errorResponses(401, 404) },
      },
    },
    async (req) => {
      const { call, deliveries } = await visible(req, req.params.callId);
      return view(call, deliveries);
    },
  );

  app.post(
    '/v1/calls/:callId/cancel',
    {
      schema: {
        tags,
        security,
        summary: 'The caller hangs up before an answer: every ringing device gets call.cancel',
        params: Params,
        response: { 200: CallSchema, ...errorResponses(401, 403, 404, 409) },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const { call } = await visible(req, req.params.callId);
      if (p.kind === 'user' && call.from !== p.userId) throw forbidden('not_the_caller', 'only the caller can cancel');
      const next = await calls.apply(p.appKey, call.id, { type: 'cancel' });
      return view(next, (await calls.get(p.appKey, call.id)).deliveries);
    },
  );

  app.post(
    '/v1/calls/:callId/end',
    {
      schema: {
        tags,
        security,
        summary: 'An answered call is over',
        params: Params,
        response: { 200: CallSchema, ...errorResponses(401, 404, 409) },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const { call } = await visible(req, req.params.callId);
      const next = await calls.apply(p.appKey, call.id, { type: 'end' });
      return view(next, (await calls.get(p.appKey, call.id)).deliveries);
    },
  );

  app.post(
    '/v1/calls/:callId/answer',
    {
      schema: {
        tags,
        security: [{ user: [] }],
        summary: "A callee answers on one device; the callee's other devices get call.cancel",
        params: Params,
        body: DeviceBody,
        response: { 200: CallSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (req) => {
      const { call } = await visible(req, req.params.callId);
      const userId = calleeOf(req, call);
      const next = await calls.apply(call.appKey, call.id, { type: 'answer', userId, deviceId: req.body.deviceId });
      return view(next, (await calls.get(call.appKey, call.id)).deliveries);
    },
  );

  app.post(
    '/v1/calls/:callId/decline',
    {
      schema: {
        tags,
        security: [{ user: [] }],
        summary:
          'A callee declines (or is busy); its devices stop ringing, and the call is declined (busy) when every callee has',
        params: Params,
        body: DeclineBody,
        response: { 200: CallSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (req) => {
      const { call } = await visible(req, req.params.callId);
      const userId = calleeOf(req, call);
      const { reason } = req.body;
      const next = await calls.apply(call.appKey, call.id, { type: 'decline', userId, ...(reason ? { reason } : {}) });
      return view(next, (await calls.get(call.appKey, call.id)).deliveries);
    },
  );

  app.get(
    '/v1/calls/:callId/status',
    {
      schema: {
        tags,
        security,
        summary: 'Where a call stands for the device asking (one lookup: a woken device asks before it rings)',
        params: Params,
        querystring: Type.Object(
          { deviceId: Type.Optional(Id('the device asking, so an answer on another device can be told')) },
          { additionalProperties: false },
        ),
        response: { 200: CallStatusSchema, ...errorResponses(400, 401, 404) },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const viewer = p.kind === 'user' ? { userId: p.userId, deviceId: req.query.deviceId } : undefined;
      return calls.status(p.appKey, req.params.callId, viewer);
    },
  );

  app.post(
    '/v1/calls/:callId/receipts',
    {
      schema: {
        tags,
        security: [{ user: [] }],
        summary: 'A callee device reports that the ring arrived, and hears where the call stands for it',
        params: Params,
        body: DeviceBody,
        response: { 200: ReceiptSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const { call } = await visible(req, req.params.callId);
      const userId = calleeOf(req, call);
      const { delivery, status } = await calls.receipt(call.appKey, call.id, userId, req.body.deviceId);
      return { ...view(call, [delivery]).deliveries[0]!, call: status };
    },
  );
};
