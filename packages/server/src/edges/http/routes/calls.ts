import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import {
  CALL_STATES,
  type Call,
  type CallHistory,
  type CallsService,
  CURSOR_MAX_LENGTH,
  type Delivery,
  funnelOf,
  HISTORY_DEFAULT_LIMIT,
  HISTORY_MAX_LIMIT,
  MAX_CALLEES,
  MAX_RING_SECONDS,
} from '#domain/calls';
import { InvalidInput, NotFound } from '#kernel';
import { type Authenticator, principalOf } from '../authenticator.js';
import { forbidden } from '../errors.js';
import { errorResponses, Id } from '../schemas.js';
import { CapabilitiesSchema } from './devices-schema.js';

/** Epoch ms; the largest a JavaScript Date holds, so a huge number is a 400, not a crash. */
const Time = (description: string) => Type.Integer({ minimum: 0, maximum: 8_640_000_000_000_000, description });

const FunnelStepSchema = Type.Object({
  milestone: Type.String({
    description:
      "accepted, sent (to the provider or the socket), provider_accepted, provider_delivered (the provider's delivery receipt), received, answered or declined",
  }),
  at: Type.Integer({ description: 'epoch ms' }),
  providerId: Type.Optional(Type.String({ description: "on provider_accepted: the provider's message id" })),
});

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
  providerId: Type.Optional(Type.String({ description: "the provider's message id of the accepted push" })),
  providerReceipt: Type.Optional(
    Type.Object(
      {
        kind: Type.String({ description: 'delivered, held, undelivered or unknown' }),
        reason: Type.String({ description: "the status in callpush's words, with the provider's code" }),
        at: Type.Integer({ description: 'epoch ms' }),
      },
      { description: "what the provider's own delivery receipt reported (HMS: docs/providers.md#hms-receipts)" },
    ),
  ),
  acted: Type.Optional(Type.String({ description: 'answered or declined: what was done on this device' })),
  actedAt: Type.Optional(Type.Integer()),
  funnel: Type.Array(FunnelStepSchema, {
    description: 'the milestones the delivery reached, in order, each with its time (docs/history.md)',
  }),
});

const CallSummarySchema = Type.Object({
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
  test: Type.Optional(Type.Boolean({ description: 'a test ring: no missed-call notice' })),
  createdAt: Type.Integer(),
  expiresAt: Type.Integer(),
});

export const CallSchema = Type.Object({ ...CallSummarySchema.properties, deliveries: Type.Array(DeliverySchema) });

const ListQuery = Type.Object(
  {
    userId: Type.Optional(Id('calls this user placed or was called in; a user token lists only its own')),
    state: Type.Optional(Type.Union(CALL_STATES.map((s) => Type.Literal(s)))),
    since: Type.Optional(Time('calls placed at or after this time, epoch ms')),
    until: Type.Optional(Time('calls placed before this time, epoch ms')),
    cursor: Type.Optional(
      Type.String({ minLength: 1, maxLength: CURSOR_MAX_LENGTH, description: '`next` of the previous page' }),
    ),
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: HISTORY_MAX_LIMIT,
        default: HISTORY_DEFAULT_LIMIT,
        description: 'calls per page',
      }),
    ),
  },
  { additionalProperties: false },
);

const CallListSchema = Type.Object({
  calls: Type.Array(CallSummarySchema, { description: 'newest first' }),
  next: Type.Optional(Type.String({ description: 'the cursor of the next page; absent on the last page' })),
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
const ReceiptBody = Type.Object(
  { deviceId: Id('the callee device the ring reached'), capabilities: Type.Optional(CapabilitiesSchema) },
  { additionalProperties: false },
);
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

/** A call without its deliveries, as the history lists it. */
function summary(call: Call) {
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
    ...(call.test ? { test: true } : {}),
    createdAt: call.createdAt,
    expiresAt: call.expiresAt,
  };
}

/** A call with every delivery and its funnel. */
export function view(call: Call, deliveries: Delivery[]) {
  return {
    ...summary(call),
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
      ...(d.providerId ? { providerId: d.providerId } : {}),
      ...(d.providerReceipt ? { providerReceipt: d.providerReceipt } : {}),
      ...(d.acted ? { acted: d.acted } : {}),
      ...(d.actedAt !== undefined ? { actedAt: d.actedAt } : {}),
      funnel: funnelOf(d),
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
export const callsRoutes: FastifyPluginAsyncTypebox<{
  calls: CallsService;
  history: CallHistory;
  auth: Authenticator;
}> = async (app, { calls, history, auth }) => {
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
    '/v1/calls',
    {
      schema: {
        tags,
        security,
        summary: "The app's calls, newest first, a page at a time; with a user token, the user's own",
        querystring: ListQuery,
        response: { 200: CallListSchema, ...errorResponses(400, 401, 403) },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const { userId, ...query } = req.query;
      if (p.kind === 'user' && userId !== undefined && userId !== p.userId) {
        throw forbidden('wrong_user', "a user token lists only the user's own calls");
      }
      const who = p.kind === 'user' ? p.userId : userId;
      const page = await history.list(p.appKey, { ...query, ...(who !== undefined ? { userId: who } : {}) });
      return { calls: page.calls.map(summary), ...(page.next ? { next: page.next } : {}) };
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
      const next = await calls.apply(call.appKey, call.id, {
        type: 'decline',
        userId,
        deviceId: req.body.deviceId,
        ...(reason ? { reason } : {}),
      });
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
        summary: 'A callee device reports that the ring arrived (and what it can do), and hears where the call stands',
        params: Params,
        body: ReceiptBody,
        response: { 200: ReceiptSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const { call } = await visible(req, req.params.callId);
      const userId = calleeOf(req, call);
      const { deviceId, capabilities } = req.body;
      const { delivery, status } = await calls.receipt(call.appKey, call.id, userId, deviceId, capabilities);
      return { ...view(call, [delivery]).deliveries[0]!, call: status };
    },
  );
};
