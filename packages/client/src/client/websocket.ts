/**
 * The part of the WHATWG WebSocket the client uses, met by browsers, React Native, Node 22+'s global and the
 * `ws` package. Handlers are declared bivariantly (as methods) so that each implementation's own event types fit.
 */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: Handler<unknown> | null;
  onmessage: Handler<{ data: unknown }> | null;
  onclose: Handler<{ code: number; reason: string }> | null;
  onerror: Handler<unknown> | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

type Handler<E> = { bivarianceHack(event: E): void }['bivarianceHack'];

export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** `readyState` of an open socket (the same constant everywhere). */
export const OPEN = 1;

/** The constructor to use: the one passed in, else the platform's global one. */
export function resolveWebSocket(passed: WebSocketConstructor | undefined): WebSocketConstructor | undefined {
  return passed ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
}

/** `http(s)://host/base` → `ws(s)://host/base/v1/connect`. */
export function connectUrl(baseUrl: string): string {
  return `${baseUrl.replace(/^http/i, 'ws')}/v1/connect`;
}
