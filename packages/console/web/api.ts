import { authorization, type Session } from './session.js';

/** An API refusal, with the gateway's error code and its message for people. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Calls the public API on this origin with the session's credentials, as an app backend or the operator
 * would: the console has no private route. Relative URLs only, so nothing can be sent off-origin.
 */
export async function api<T>(session: Session, method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { authorization: authorization(session) };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await r.text();
  const json = text ? (JSON.parse(text) as unknown) : undefined;
  if (!r.ok) {
    const error = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(r.status, error?.code ?? 'http_error', error?.message ?? `HTTP ${r.status}`);
  }
  return json as T;
}

export interface FunnelStep {
  milestone: string;
  at: number;
  providerId?: string;
}

export interface Delivery {
  deliveryId: string;
  type: string;
  userId: string;
  deviceId: string;
  provider: string;
  providerType: string;
  transport: string;
  kind: string;
  state: string;
  outcome?: string;
  detail?: string;
  cancelReason?: string;
  attempts: number;
  funnel: FunnelStep[];
}

export interface CallSummary {
  callId: string;
  state: string;
  from: string;
  to: string[];
  video: boolean;
  displayName?: string;
  endReason?: string;
  test?: boolean;
  createdAt: number;
}

export interface Call extends CallSummary {
  deliveries: Delivery[];
}

export interface Diagnosis {
  callId: string;
  state: string;
  devices: Array<{
    userId: string;
    deviceId?: string;
    code: string;
    message: string;
    notes: Array<{ message: string }>;
  }>;
}

export interface Device {
  deviceId: string;
  provider: string;
  providerType: string;
  kind: string;
  capabilities?: Record<string, string | boolean | number>;
  lastRing?: { callId: string; at: number; state: string; transport: string; outcome?: string; detail?: string };
  lastReceipt?: { callId: string; at: number };
}
