import { errorOf } from './errors.js';
import type { TokenSource } from './token.js';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** The gateway's HTTP API with the user's token: one retry with a fresh token when the gateway refuses it. */
export class GatewayHttp {
  constructor(
    private readonly baseUrl: string,
    private readonly tokens: TokenSource,
    private readonly fetch: FetchLike,
  ) {}

  /** Sends a request and returns the parsed JSON body (undefined for 204); a failure is a `CallPushError`. */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let token = await this.tokens.get();
    let response = await this.send(method, path, token, body);
    if (response.status === 401) {
      this.tokens.refused(token);
      token = await this.tokens.get();
      response = await this.send(method, path, token, body);
    }
    if (!response.ok) throw await errorOf(response);
    return (response.status === 204 ? undefined : await response.json()) as T;
  }

  private send(method: string, path: string, token: string, body: unknown): Promise<Response> {
    return this.fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }
}
