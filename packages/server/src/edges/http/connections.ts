import { STATUS_CODES } from 'node:http';
import type { Server, Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import type { ErrorBody } from './errors.js';

/**
 * An HTTP/1.1 answer in the error contract, written straight to a socket: for refusals made before Fastify
 * has a request (Node's parser, the connection cap). A HEAD request is answered without the body.
 */
export function rawAnswer(status: number, error: ErrorBody['error'], head = false): string {
  const json = JSON.stringify({ error });
  return [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    'content-type: application/json; charset=utf-8',
    `content-length: ${Buffer.byteLength(json)}`,
    'connection: close',
    '',
    head ? '' : json,
  ].join('\r\n');
}

function clientErrorAnswer(code: string | undefined): [number, ErrorBody['error']] {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return [431, { code: 'request_headers_too_large', message: 'the request headers are too large' }];
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return [413, { code: 'body_too_large', message: 'the chunk extensions are too large' }];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [408, { code: 'request_timeout', message: 'the request did not arrive in time' }];
    default:
      return [400, { code: 'bad_request', message: 'the request is not valid HTTP/1.1' }];
  }
}

/** What Node hands to a `clientError` listener; `rawPacket` holds the bytes received, credentials included. */
export interface ClientError extends Error {
  code?: string;
  rawPacket?: unknown;
}

/**
 * Answers what Node's HTTP parser refused (malformed requests, oversized headers, timeouts) in the error
 * contract, and logs the parser's code only: never the error itself, whose raw packet carries the request's
 * bytes (Authorization headers included).
 */
export function answerClientError(log: FastifyBaseLogger, err: ClientError, socket: Socket): void {
  // A reset connection has no one left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  log.debug({ code: err.code }, 'refused a request Node could not parse or that came too slowly');
  // Node's own rule: answer only if no answer on this socket has begun (a request may be half-handled).
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent: boolean; req?: { method?: string } } })
    ._httpMessage;
  if (socket.writable && !inFlight?.headersSent) {
    const head =
      inFlight?.req?.method === 'HEAD' ||
      (Buffer.isBuffer(err.rawPacket) && err.rawPacket.subarray(0, 5).toString('latin1') === 'HEAD ');
    const [status, error] = clientErrorAnswer(err.code);
    socket.write(rawAnswer(status, error, head));
  }
  socket.destroy();
}

/** The key a client is counted under: its IPv4 address, or the /64 of its IPv6 address (one host's share). */
export function clientKey(address: string): string {
  if (!address.includes(':') || address.startsWith('::ffff:')) return address;
  const [head = '', tail = ''] = address.split('%')[0]!.split('::');
  const front = head ? head.split(':') : [];
  const back = tail ? tail.split(':') : [];
  const groups = [...front, ...Array<string>(Math.max(0, 8 - front.length - back.length)).fill('0'), ...back];
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

const TOO_MANY = { code: 'too_many_connections', message: 'too many connections from this address are waiting' };

/**
 * Caps, per client address, the connections that have not authenticated yet: slow or idle connections from
 * one address cannot take the file descriptors and memory everyone else needs. A connection stops counting
 * once one of its requests (or its WebSocket hello) authenticates, and when it closes. Behind a load balancer
 * every connection comes from the balancer's address: the cap belongs there, this one stays off (0).
 */
export class UnauthenticatedConnections {
  private readonly waiting = new Map<string, Set<Socket>>();

  constructor(private readonly maxPerClient: number) {}

  attach(server: Server): void {
    server.on('connection', (socket: Socket) => this.accept(socket));
  }

  /** The connection carried valid credentials: it no longer counts against its address. */
  authenticated(socket: Socket): void {
    const key = clientKey(socket.remoteAddress ?? '');
    const sockets = this.waiting.get(key);
    if (!sockets?.delete(socket)) return;
    if (sockets.size === 0) this.waiting.delete(key);
  }

  private accept(socket: Socket): void {
    const key = clientKey(socket.remoteAddress ?? '');
    const sockets = this.waiting.get(key) ?? new Set<Socket>();
    if (sockets.size >= this.maxPerClient) {
      // Not read: nothing this connection sends is parsed; the answer goes out, then the connection closes.
      socket.pause();
      socket.write(rawAnswer(429, TOO_MANY));
      socket.destroySoon();
      return;
    }
    sockets.add(socket);
    this.waiting.set(key, sockets);
    socket.once('close', () => this.authenticated(socket));
  }
}
