import { CallPushClient, type CallPushClientOptions, type FetchLike, type WebSocketLike } from '../../src/index.js';

/** One HTTP request the client made. */
export interface SeenRequest {
  method: string;
  path: string;
  // biome-ignore lint/suspicious/noExplicitAny: request bodies of many shapes, asserted field by field
  body: any;
}

type Answer = { status?: number; body?: unknown };

/**
 * A gateway played by the test: HTTP answers scripted per `METHOD /path` (query string included), and one
 * active connection whose frames the test sends. For what the client does with an answer, not for the gateway.
 */
export interface ScriptedGateway {
  requests: SeenRequest[];
  /** Answers every later request to `METHOD /path` with `answer` (default: 200 `{}`). */
  answer(route: string, answer: Answer | ((request: SeenRequest) => Answer)): void;
  /** A frame from the gateway on the open socket. */
  frame(frame: Record<string, unknown>): void;
  /** Frames the client sent on the socket. */
  sent: Array<Record<string, unknown>>;
  /** A connected client of user `bob` (`connect` done); `listen` also opens the socket and waits for `ready`. */
  client(options?: Partial<CallPushClientOptions> & { listen?: boolean }): Promise<CallPushClient>;
}

const token = 'scripted-token';
/** Lets pending promise callbacks (fetch answers, `.then`s) run. */
export const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

export function scriptedGateway(): ScriptedGateway {
  const requests: SeenRequest[] = [];
  const sent: Array<Record<string, unknown>> = [];
  const routes = new Map<string, Answer | ((request: SeenRequest) => Answer)>();
  let socket: WebSocketLike | undefined;

  const fetch: FetchLike = async (input, init) => {
    const url = new URL(input);
    const request = {
      method: init.method ?? 'GET',
      path: url.pathname + url.search,
      body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
    };
    requests.push(request);
    const route = routes.get(`${request.method} ${request.path}`) ?? {};
    const { status = 200, body = {} } = typeof route === 'function' ? route(request) : route;
    return new Response(status === 204 ? null : JSON.stringify(body), { status });
  };

  class ScriptedSocket implements WebSocketLike {
    readyState = 0;
    onopen: WebSocketLike['onopen'] = null;
    onmessage: WebSocketLike['onmessage'] = null;
    onclose: WebSocketLike['onclose'] = null;
    onerror: WebSocketLike['onerror'] = null;
    constructor() {
      socket = this;
      setTimeout(() => {
        this.readyState = 1;
        this.onopen?.({});
      });
    }
    send(data: string): void {
      const frame = JSON.parse(data);
      sent.push(frame);
      if (frame.type === 'hello') {
        const ready = {
          type: 'ready',
          userId: 'bob',
          deviceId: frame.deviceId,
          heartbeatMs: 60_000,
          ackWindowMs: 1500,
        };
        setTimeout(() => this.onmessage?.({ data: JSON.stringify({ ...ready, tokenExpiresAt: 0 }) }));
      }
    }
    close(): void {
      this.readyState = 3;
    }
  }

  return {
    requests,
    sent,
    answer: (route, answer) => routes.set(route, answer),
    frame: (frame) => socket?.onmessage?.({ data: JSON.stringify(frame) }),
    client: async ({ listen, ...options } = {}) => {
      const client = new CallPushClient({ deviceId: 'pixel', fetch, webSocket: ScriptedSocket, ...options });
      await client.connect({ baseUrl: 'https://push.example', userId: 'bob', accessTokenProvider: async () => token });
      if (listen) {
        const ready = new Promise((resolve) => client.on('connected', resolve));
        client.startListeningOnActiveConnection();
        await ready;
      }
      return client;
    },
  };
}
