import type { operations } from '@callpush/sdk/api';
import { authorization, type Session } from './session.js';

/** An API refusal, with the gateway's error code and its message for people. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The request field at fault, when the API names one. */
    readonly field?: string,
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
  if (!r.ok) throw await failure(r);
  const text = await r.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** The refusal a failed answer carries, in the API's error contract (or its status when it has none). */
export async function failure(r: Response): Promise<ApiError> {
  let error: { code?: string; message?: string; field?: string } | undefined;
  try {
    error = ((await r.json()) as { error?: typeof error }).error;
  } catch {
    error = undefined;
  }
  return new ApiError(r.status, error?.code ?? 'http_error', error?.message ?? `HTTP ${r.status}`, error?.field);
}

/** The JSON body operation `Op` answers with `status`, from the SDK's types (generated from the API document). */
type Answer<Op extends keyof operations, S extends number = 200> =
  operations[Op]['responses'] extends Record<S, { content: { 'application/json': infer B } }> ? B : never;

export type Call = Answer<'getCall'>;
export type CallSummary = Answer<'listCalls'>['calls'][number];
export type Delivery = Call['deliveries'][number];
export type Diagnosis = Answer<'diagnoseCall'>;
export type Device = Answer<'listUserDevices'>['devices'][number];
export type Credential = Answer<'listProviderCredentials'>['providers'][number];
export type CredentialHealth = Answer<'getProviderHealth'>['providers'][number];
export type UserPage = Answer<'searchUsers'>;
export type App = Answer<'listApps'>['apps'][number];
export type CreatedApp = Answer<'createApp', 201>;
