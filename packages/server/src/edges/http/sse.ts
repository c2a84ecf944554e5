import type { FastifyInstance, FastifyReply } from 'fastify';
import { HttpError } from './errors.js';

/** One open server-sent-events answer. */
export interface EventStream {
  /** Sends one event; `data` is JSON-encoded on one line, so no payload can break the framing. */
  send(event: string, data: unknown): void;
  /** Sends a last event (when given) and ends the answer. */
  end(event?: string, data?: unknown): void;
  /** Runs once the stream is over, whoever ended it (the client hanging up included). */
  onClose(listener: () => void): void;
}

export interface EventStreamLimits {
  /** Streams one key (an app) may hold open on this node at once. */
  maxPerKey: number;
  /** Longest a stream stays open; the client opens a new one if it still needs it. */
  lifetimeMs: number;
  /** A comment this often keeps proxies and the idle timeout from cutting a quiet stream. */
  keepAliveMs: number;
}

/**
 * The server-sent-event streams of one route group: counted per key so an app cannot hold unbounded
 * connections, each ended after its lifetime, all ended when the server stops (so a stop does not wait for
 * the grace to cut them).
 */
export class EventStreams {
  private readonly open = new Map<string, Set<EventStream>>();

  constructor(
    app: FastifyInstance,
    private readonly limits: EventStreamLimits,
  ) {
    app.addHook('preClose', async () => {
      for (const streams of this.open.values()) for (const s of [...streams]) s.end('end', { reason: 'shutdown' });
    });
  }

  /**
   * Answers with a stream (the reply is taken over, so errors after this are the stream's to report).
   * Refuses with 429 before anything is sent when `key` holds its share already.
   */
  start(reply: FastifyReply, key: string): EventStream {
    const held = this.open.get(key) ?? new Set<EventStream>();
    if (held.size >= this.limits.maxPerKey) {
      throw new HttpError(
        429,
        'too_many_streams',
        `at most ${this.limits.maxPerKey} streams may be open at once; close one first`,
        { 'retry-after': '5' },
      );
    }
    reply.hijack();
    const res = reply.raw;
    // Headers other hooks set (CORS) go out with the stream's own.
    res.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    res.write(': open\n\n');
    let closed = false;
    const listeners: Array<() => void> = [];
    const finish = () => {
      if (closed) return;
      closed = true;
      clearInterval(keepAlive);
      clearTimeout(lifetime);
      held.delete(stream);
      if (held.size === 0) this.open.delete(key);
      for (const l of listeners) l();
    };
    const stream: EventStream = {
      send: (event, data) => {
        if (!closed) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      },
      end: (event, data) => {
        if (closed) return;
        if (event) stream.send(event, data ?? {});
        finish();
        res.end();
      },
      onClose: (l) => {
        if (closed) l();
        else listeners.push(l);
      },
    };
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), this.limits.keepAliveMs);
    const lifetime = setTimeout(() => stream.end('end', { reason: 'lifetime' }), this.limits.lifetimeMs);
    res.on('close', finish);
    held.add(stream);
    this.open.set(key, held);
    return stream;
  }
}

/** How often a quiet stream says it is alive: within the idle timeout, at most every 15 s. */
export function keepAliveFor(idleTimeoutMs: number): number {
  return Math.max(50, Math.min(15_000, Math.floor(idleTimeoutMs / 2)));
}
