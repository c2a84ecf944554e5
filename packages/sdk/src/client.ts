import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './api.js';

/** The typed client of the callpush HTTP API: `GET`, `POST`, `PUT`, `DELETE` on its paths (openapi-fetch). */
export type CallpushClient = Client<paths>;

export interface CallpushOptions {
  /** The gateway, e.g. `https://push.example.com` or the sandbox's `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** The app's key and secret: HTTP Basic, what an app backend authenticates with. */
  appKey: string;
  appSecret: string;
  /** Another fetch (a proxy agent, a test double); default `globalThis.fetch`. */
  fetch?: (request: Request) => Promise<Response>;
}

/** A client for an app backend: every request carries the app's credentials. */
export function createCallpush(options: CallpushOptions): CallpushClient {
  const basic = Buffer.from(`${options.appKey}:${options.appSecret}`).toString('base64');
  return createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    headers: { authorization: `Basic ${basic}` },
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}

type ErrorBody = components['schemas']['Error'];

/** A refusal by the gateway, with the code, message and field of its error body. */
export class CallpushError extends Error {
  override readonly name = 'CallpushError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

const isErrorBody = (body: unknown): body is ErrorBody =>
  typeof (body as ErrorBody | undefined)?.error?.code === 'string';

/** The error of a refused answer and its body (parsed JSON, if it was). */
export function errorOf(response: Response, body: unknown): CallpushError {
  if (isErrorBody(body))
    return new CallpushError(response.status, body.error.code, body.error.message, body.error.field);
  return new CallpushError(response.status, 'http_error', `${response.status} ${response.statusText}`);
}

/**
 * The data of a successful answer, or a `CallpushError`: for code that would rather throw than look at
 * `{ data, error }` each time. `await ok(cp.GET('/v1/calls/{callId}', { params: { path: { callId } } }))`.
 */
export async function ok<T>(answer: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await answer;
  if (!response.ok) throw errorOf(response, error);
  return data as T;
}
