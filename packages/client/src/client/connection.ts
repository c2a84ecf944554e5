import { Backoff, type BackoffOptions } from './backoff.js';
import { Emitter } from './emitter.js';
import { CallPushError } from './errors.js';
import { refreshAt, type TokenSource } from './token.js';
import { OPEN, type WebSocketConstructor, type WebSocketLike } from './websocket.js';

/** What the gateway said in `ready`. */
export interface ConnectedInfo {
  userId: string;
  deviceId: string;
  heartbeatMs: number;
  ackWindowMs: number;
  /** Epoch ms (gateway clock) when the socket's token expires; the client sends a fresh one before. */
  tokenExpiresAt: number;
}

export interface DisconnectedInfo {
  /** The close code (docs/active-connection.md); 4000 also when this side saw two heartbeats of silence. */
  code: number;
  reason: string;
  willReconnect: boolean;
}

export type ConnectionEvents = {
  connected: [info: ConnectedInfo];
  disconnected: [info: DisconnectedInfo];
  error: [error: Error];
  /** A call frame as the gateway sent it: a v1 message (`call.ring`, `call.cancel`, `call.missed`) or `call.state`. */
  message: [message: Record<string, unknown>];
};

/** Until `ready`: the gateway closes a silent socket after 10 s; this side gives the whole handshake 15 s. */
const HANDSHAKE_TIMEOUT_MS = 15_000;
/** A connection that lived this long after `ready` was stable: the next reconnect starts the backoff afresh. */
const STABLE_MS = 10_000;
/** The largest delay setTimeout takes; longer ones fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Close codes after which reconnecting would be wrong (the doc's "stop"). */
const FINAL_CODES: Record<number, string> = { 4003: 'forbidden', 4009: 'replaced' };

type Timer = ReturnType<typeof setTimeout>;
type TimerName = 'watchdog' | 'reconnect' | 'auth';
const noop = () => {};

/**
 * The active connection (docs/active-connection.md): one WebSocket to `GET /v1/connect`, authenticated by a
 * `hello` frame, kept alive by ping/pong and a silence watchdog, re-authenticated before its token expires,
 * and reopened with backoff after anything but a final close.
 */
export class ActiveConnection {
  readonly events = new Emitter<ConnectionEvents>();
  private readonly backoff: Backoff;
  private wanted = false;
  /** Bumped by every start and stop, so that an open() still waiting for its token knows it is stale. */
  private attempt = 0;
  private socket: WebSocketLike | undefined;
  private socketToken: string | undefined;
  private ready: { at: number; heartbeatMs: number } | undefined;
  /** The `error` frame the gateway sends just before closing, for the close that follows. */
  private lastError: { code: string; message: string } | undefined;
  /** A 4001 reconnects at once, but only once in a row, so a provider handing out bad tokens is not hammered. */
  private quickRetry = true;
  private readonly timers: Partial<Record<TimerName, Timer>> = {};

  constructor(
    private readonly url: string,
    private readonly deviceId: string,
    private readonly tokens: TokenSource,
    private readonly WebSocket: WebSocketConstructor,
    backoff: BackoffOptions,
  ) {
    this.backoff = new Backoff(backoff);
  }

  get isReady(): boolean {
    return this.ready !== undefined;
  }

  start(): void {
    if (this.wanted) return;
    this.wanted = true;
    this.attempt++;
    this.backoff.reset();
    void this.open();
  }

  stop(): void {
    if (!this.wanted) return;
    this.wanted = false;
    this.attempt++;
    this.clear('reconnect');
    this.drop(1000, 'client stopped');
  }

  /** Sends a frame if the connection is authenticated; false otherwise (the caller falls back to HTTP). */
  send(frame: Record<string, unknown>): boolean {
    const socket = this.socket;
    if (!this.ready || !socket || socket.readyState !== OPEN) return false;
    socket.send(JSON.stringify(frame));
    return true;
  }

  private async open(): Promise<void> {
    const attempt = this.attempt;
    let token: string;
    try {
      token = await this.tokens.get();
    } catch (error) {
      if (attempt !== this.attempt) return;
      this.reconnectIn(this.backoff.next());
      this.events.emit('error', error as Error);
      return;
    }
    if (attempt !== this.attempt || this.socket) return;
    let socket: WebSocketLike;
    try {
      socket = new this.WebSocket(this.url);
    } catch (error) {
      // A URL the platform refuses will not improve by retrying.
      this.wanted = false;
      this.events.emit('error', error as Error);
      return;
    }
    this.socket = socket;
    this.socketToken = token;
    this.lastError = undefined;
    socket.onopen = () => socket.send(JSON.stringify({ type: 'hello', token, deviceId: this.deviceId }));
    socket.onmessage = (event) => this.receive(event.data);
    socket.onclose = (event) => this.closed(socket, event.code, event.reason);
    // The close event that follows an error says what happened.
    socket.onerror = noop;
    this.watch(HANDSHAKE_TIMEOUT_MS);
  }

  private receive(data: unknown): void {
    if (typeof data !== 'string') return;
    let frame: unknown;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    if (typeof frame !== 'object' || frame === null) return;
    const f = frame as Record<string, unknown>;
    // Any frame is a sign of life.
    if (this.ready) this.watch(2 * this.ready.heartbeatMs);
    switch (f.type) {
      case 'ready': {
        const info: ConnectedInfo = {
          userId: String(f.userId),
          deviceId: String(f.deviceId),
          heartbeatMs: positive(f.heartbeatMs, 25_000),
          ackWindowMs: positive(f.ackWindowMs, 1500),
          tokenExpiresAt: positive(f.tokenExpiresAt, 0),
        };
        this.ready = { at: Date.now(), heartbeatMs: info.heartbeatMs };
        this.quickRetry = true;
        this.watch(2 * info.heartbeatMs);
        this.scheduleAuth(info.tokenExpiresAt);
        this.events.emit('connected', info);
        return;
      }
      case 'ping':
        this.send({ type: 'pong' });
        return;
      case 'auth.ok':
        this.scheduleAuth(positive(f.tokenExpiresAt, 0));
        return;
      case 'error':
        this.lastError = { code: String(f.code), message: String(f.message) };
        return;
      default:
        // Which call frames the client reads, and how, is the client's business: the connection only carries them.
        if (this.ready && typeof f.type === 'string' && f.type.startsWith('call.')) this.events.emit('message', f);
    }
  }

  /** Arms the re-authentication for when the socket's token enters its refresh margin. */
  private scheduleAuth(serverExpiresAt: number): void {
    this.clear('auth');
    const fromToken = this.socketToken === undefined ? undefined : refreshAt(this.socketToken);
    const at = fromToken ?? (serverExpiresAt > 0 ? serverExpiresAt - 60_000 : undefined);
    if (at === undefined) return;
    this.timers.auth = setTimeout(() => void this.reauth(), Math.min(MAX_TIMER_MS, Math.max(0, at - Date.now())));
  }

  private async reauth(): Promise<void> {
    const socket = this.socket;
    try {
      let token = await this.tokens.get();
      if (token === this.socketToken) token = await this.tokens.refresh();
      // A provider that hands back the same token cannot help; the gateway's 4001 at expiry will ask again.
      if (socket !== this.socket || token === this.socketToken) return;
      this.socketToken = token;
      this.send({ type: 'auth', token });
    } catch (error) {
      this.events.emit('error', error as Error);
    }
  }

  /** (Re)arms the silence watchdog: no frame for `ms` means the connection is dead. */
  private watch(ms: number): void {
    this.clear('watchdog');
    this.timers.watchdog = setTimeout(() => this.drop(4000, 'heartbeat timeout'), ms);
  }

  /** Closes the socket from this side and acts at once: a dead network may never deliver the close event. */
  private drop(code: number, reason: string): void {
    const socket = this.socket;
    if (!socket) return;
    this.closed(socket, code, reason);
    try {
      socket.close(code, reason);
    } catch {
      // Already closed.
    }
  }

  private closed(socket: WebSocketLike, code: number, reason: string): void {
    if (socket !== this.socket) return;
    // Later events of this socket (an error while closing) must find a listener: `ws` throws on unhandled ones.
    socket.onopen = socket.onmessage = socket.onclose = socket.onerror = noop;
    this.socket = undefined;
    this.clear('watchdog');
    this.clear('auth');
    const ready = this.ready;
    this.ready = undefined;
    let delay: number | undefined;
    let error: CallPushError | undefined;
    const final = FINAL_CODES[code];
    if (!this.wanted) {
      delay = undefined;
    } else if (final) {
      this.wanted = false;
      error = new CallPushError(
        0,
        this.lastError?.code ?? final,
        this.lastError?.message ?? `the gateway closed the active connection (${code})`,
        undefined,
        code,
      );
    } else if (code === 4001) {
      if (this.socketToken) this.tokens.refused(this.socketToken);
      delay = this.quickRetry ? 0 : this.backoff.next();
      this.quickRetry = false;
    } else {
      if (ready && Date.now() - ready.at >= STABLE_MS) this.backoff.reset();
      delay = this.backoff.next();
    }
    // Scheduled before the events, so that a listener calling stop() cancels it.
    if (delay !== undefined) this.reconnectIn(delay);
    if (error) this.events.emit('error', error);
    this.events.emit('disconnected', { code, reason, willReconnect: delay !== undefined });
  }

  private reconnectIn(ms: number): void {
    this.clear('reconnect');
    this.timers.reconnect = setTimeout(() => {
      this.timers.reconnect = undefined;
      void this.open();
    }, ms);
  }

  private clear(name: TimerName): void {
    clearTimeout(this.timers[name]);
    this.timers[name] = undefined;
  }
}

function positive(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;
}
