import type { Call, Delivery } from '../../src/domain/calls/model.js';
import type { HttpResponse } from '../../src/infra/net/http-client.js';
import type { PushRequest } from '../../src/providers/contract.js';

/** Shared builders of the unit layer: plain objects, overridable field by field. */

export const T0 = 1_763_700_000_000;

export function aCall(overrides: Partial<Call> = {}): Call {
  return {
    id: 'c_call1',
    appKey: 'app1',
    from: 'alice',
    video: false,
    headers: { room: 'r-42' },
    callees: { bob: 'ringing' },
    state: 'ringing',
    createdAt: T0,
    expiresAt: T0 + 30_000,
    updatedAt: T0,
    ...overrides,
  };
}

export function aDelivery(overrides: Partial<Delivery> = {}): Delivery {
  return {
    id: 'd_1',
    callId: 'c_call1',
    appKey: 'app1',
    userId: 'bob',
    deviceId: 'pixel',
    provider: 'android',
    providerType: 'fcm',
    token: 'tok-1',
    kind: 'alert',
    transport: 'push',
    type: 'ring',
    state: 'pending',
    attempts: 0,
    deadline: T0 + 30_000,
    createdAt: T0,
    leaseOwner: 'n_self',
    leaseUntil: T0 + 15_000,
    ...overrides,
  };
}

export function aRingRequest(overrides: Partial<PushRequest> = {}): PushRequest {
  return {
    message: {
      v: 1,
      type: 'call.ring',
      callId: 'c_call1',
      app: 'app1',
      from: 'alice',
      to: 'bob',
      displayName: 'Alice',
      video: true,
      headers: { room: 'r-42' },
      sentAt: T0,
      expiresAt: T0 + 30_000,
    },
    deadline: T0 + 30_000,
    collapseId: 'c_call1',
    ...overrides,
  };
}

export function aCancelRequest(overrides: Partial<PushRequest> = {}): PushRequest {
  return {
    message: {
      v: 1,
      type: 'call.cancel',
      callId: 'c_call1',
      app: 'app1',
      from: 'alice',
      to: 'bob',
      reason: 'answered_elsewhere',
      sentAt: T0,
      expiresAt: T0 + 30_000,
    },
    deadline: T0 + 30_000,
    collapseId: 'c_call1',
    ...overrides,
  };
}

/** An HTTP answer; `body` may be an object (sent as JSON) or raw text. */
export function answer(
  status: number,
  body: unknown = '',
  headers: Record<string, string | string[] | undefined> = {},
): HttpResponse {
  return { status, headers, body: typeof body === 'string' ? body : JSON.stringify(body) };
}
