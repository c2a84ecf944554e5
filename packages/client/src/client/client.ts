import { DEFAULT_CLOCK_SKEW_MS, queryPushPayload } from '../payload/index.js';
import type { CallResult, CancelReason, NotificationResult } from '../payload/types.js';
import { type BackoffOptions, DEFAULT_BACKOFF } from './backoff.js';
import { Call, OutgoingCall, type PlacedCall } from './call.js';
import { CallMemory } from './call-memory.js';
import { ActiveConnection, type ConnectedInfo, type DisconnectedInfo } from './connection.js';
import { Emitter } from './emitter.js';
import { CallPushError } from './errors.js';
import { type FetchLike, GatewayHttp } from './http.js';
import { type AccessTokenProvider, TokenSource } from './token.js';
import { connectUrl, resolveWebSocket, type WebSocketConstructor } from './websocket.js';

export type Handling = 'automatic' | 'manual';

export interface CallPushClientOptions {
  /** This installation's stable id: the one its push token is registered under and its socket says hello with. */
  deviceId: string;
  /**
   * `automatic` (default): every ring, relayed or live on the active connection, becomes an `incomingCall`.
   * `manual`: live rings are emitted as `callNotification`; the app turns one into a call by relaying it.
   */
  handling?: Handling;
  /** A WebSocket constructor; default `globalThis.WebSocket` (browsers, React Native, Node 22+). */
  webSocket?: WebSocketConstructor;
  /** Default `globalThis.fetch`. */
  fetch?: FetchLike;
  /**
   * How far this device's clock may be ahead of the gateway's, ms (default 5000): a ring is timed out, and a
   * ringing call ends with `timeout`, that long after its deadline.
   */
  clockSkewMs?: number;
  /** Active-connection reconnect delays (default 500 ms to 30 s). */
  reconnect?: BackoffOptions;
}

export interface ConnectOptions {
  /** The gateway, e.g. `https://push.example.com`. */
  baseUrl: string;
  userId: string;
  /** Asks the app's backend for a callpush user access token; called again near expiry or when refused. */
  accessTokenProvider: AccessTokenProvider;
}

export interface RegisterPushTokenOptions {
  /** The name of the app's provider credential on the gateway, e.g. `fcm`. */
  provider: string;
  /** The push token (for Web Push, the JSON-serialised PushSubscription). */
  token: string;
  /** `voip` for a PushKit token, `alert` for any other. */
  kind: 'voip' | 'alert';
}

/** The gateway's record of a registered device. */
export interface RegisteredDevice {
  deviceId: string;
  userId: string;
  provider: string;
  providerType: string;
  token: string;
  kind: string;
  createdAt: number;
  registeredAt: number;
}

export interface PlaceCallOptions {
  /** The callee, or several. */
  to: string | string[];
  video?: boolean;
  /** Custom string headers, at most 1024 bytes of keys plus values. */
  headers?: Record<string, string>;
  displayName?: string;
  /** Default 30, at most 120. */
  ringTimeoutSeconds?: number;
}

/** A live ring in manual handling: what it says, and the data to relay to turn it into a call. */
export interface CallNotification {
  result: NotificationResult;
  data: unknown;
}

export type ClientEvents = {
  incomingCall: [call: Call];
  callNotification: [notification: CallNotification];
  connected: [info: ConnectedInfo];
  disconnected: [info: DisconnectedInfo];
  error: [error: Error];
};

/** One signed-in user: what `connect` sets up and `disconnect` tears down. */
interface Session {
  tokens: TokenSource;
  http: GatewayHttp;
  connection: ActiveConnection | undefined;
  wsUrl: string;
}

/** The callpush client: registers this device, rings incoming calls, places calls. */
export class CallPushClient {
  readonly deviceId: string;
  readonly handling: Handling;
  private readonly options: CallPushClientOptions;
  private readonly fetch: FetchLike;
  private readonly events = new Emitter<ClientEvents>();
  private readonly memory = new CallMemory();
  private readonly calls = new Map<string, Call>();
  /** Kaleyra rooms relayed in manual handling: their ring, when it comes over the socket, becomes a call. */
  private readonly relayedRooms = new Set<string>();
  private session: Session | undefined;

  constructor(options: CallPushClientOptions) {
    this.options = options;
    this.deviceId = options.deviceId;
    this.handling = options.handling ?? 'automatic';
    const fetchImpl = options.fetch ?? globalThis.fetch;
    // Called detached: a browser's fetch refuses to run as a method of another object.
    this.fetch = (input, init) => fetchImpl(input, init);
  }

  on<K extends keyof ClientEvents>(event: K, listener: (...args: ClientEvents[K]) => void): () => void {
    return this.events.on(event, listener);
  }

  /** Signs `userId` in; the token provider is called now, so that a failing one fails here. */
  async connect(options: ConnectOptions): Promise<void> {
    this.disconnect();
    const baseUrl = options.baseUrl.replace(/\/+$/, '');
    const tokens = new TokenSource(options.userId, options.accessTokenProvider);
    this.session = {
      tokens,
      http: new GatewayHttp(baseUrl, tokens, this.fetch),
      connection: undefined,
      wsUrl: connectUrl(baseUrl),
    };
    await tokens.get();
  }

  /** Signs out locally: closes the active connection, forgets calls and the token. */
  disconnect(): void {
    const session = this.session;
    this.session = undefined;
    session?.connection?.stop();
    session?.tokens.close();
    for (const call of this.calls.values()) call.dispose();
    this.calls.clear();
    this.memory.clear();
    this.relayedRooms.clear();
  }

  /** Registers (or moves) this device's push token: `PUT /v1/me/devices/{deviceId}`. */
  registerPushToken(options: RegisterPushTokenOptions): Promise<RegisteredDevice> {
    const { provider, token, kind } = options;
    return this.http().request('PUT', this.devicePath(), { provider, token, kind });
  }

  /** Unregisters this device (logout); a device the gateway no longer has counts as done. */
  async unregisterPushToken(): Promise<void> {
    try {
      await this.http().request('DELETE', this.devicePath());
    } catch (error) {
      if (!(error instanceof CallPushError && error.status === 404)) throw error;
    }
  }

  /** Places a call from this user. */
  async placeCall(options: PlaceCallOptions): Promise<OutgoingCall> {
    const { to, ...rest } = options;
    const placed = await this.http().request<PlacedCall>('POST', '/v1/calls', {
      to: Array.isArray(to) ? to : [to],
      ...rest,
    });
    const http = this.http();
    return new OutgoingCall(placed, {
      act: (callId, action) => http.request<PlacedCall>('POST', `/v1/calls/${encodeURIComponent(callId)}/${action}`),
    });
  }

  /**
   * Hands the client a push's data (an FCM/HMS data map, an APNs payload, a Web Push message). A valid ring
   * that has not timed out becomes an `incomingCall` (once per call, however many ways it arrives) and its
   * receipt goes to the gateway; a cancel stops its call. A `kaleyra`-format ring names only a Kaleyra room,
   * so it opens the active connection instead, whose catch-up ring becomes the `incomingCall`.
   */
  relayPushPayload(data: unknown): NotificationResult {
    if (!this.session) throw new CallPushError(0, 'not_connected', 'call connect() before relaying a push');
    const result = this.read(data);
    const c = result.callResult;
    if (!result.isValid || !c) return result;
    if (c.format === 'kaleyra') {
      if (result.isCancel) this.cancelRoom(c.callId, c.reason ?? 'caller_cancelled');
      else if (!c.timedOut) this.relayRoom(c.callId);
    } else if (result.isCancel) {
      this.cancel(c, c.reason ?? 'caller_cancelled');
    } else if (!c.timedOut) {
      this.ring(c);
    }
    return result;
  }

  /** Opens the active connection (and keeps it open, reconnecting) until stopped or disconnected. */
  startListeningOnActiveConnection(): void {
    const session = this.session;
    if (!session) throw new CallPushError(0, 'not_connected', 'call connect() before listening');
    if (!session.connection) {
      const WebSocket = resolveWebSocket(this.options.webSocket);
      if (!WebSocket) {
        throw new CallPushError(0, 'websocket_unavailable', 'no global WebSocket: pass one as options.webSocket');
      }
      const connection = new ActiveConnection(
        session.wsUrl,
        this.deviceId,
        session.tokens,
        WebSocket,
        this.options.reconnect ?? DEFAULT_BACKOFF,
      );
      connection.events.on('connected', (info) => this.events.emit('connected', info));
      connection.events.on('disconnected', (info) => this.events.emit('disconnected', info));
      connection.events.on('error', (error) => this.events.emit('error', error));
      connection.events.on('message', (message) => this.live(message));
      session.connection = connection;
    }
    session.connection.start();
  }

  stopListeningOnActiveConnection(): void {
    this.session?.connection?.stop();
  }

  private read(data: unknown): NotificationResult {
    const { clockSkewMs } = this.options;
    return queryPushPayload(data, clockSkewMs === undefined ? {} : { clockSkewMs });
  }

  /** A frame from the active connection. */
  private live(message: Record<string, unknown>): void {
    const result = this.read(message);
    const c = result.callResult;
    if (!result.isValid || !c) return;
    if (result.isCancel) {
      const record = this.memory.get(c.callId);
      this.cancel(c, c.reason ?? 'caller_cancelled');
      // In manual handling the app may be showing the ring it was told about; it needs the cancel too.
      if (record?.notified && !record.rung) this.events.emit('callNotification', { result, data: message });
      return;
    }
    if (c.timedOut) return;
    const room = c.roomId !== undefined && this.relayedRooms.has(c.roomId) ? c.roomId : undefined;
    if (this.handling === 'automatic' || room !== undefined) {
      if (room !== undefined) this.relayedRooms.delete(room);
      this.ring(c);
      return;
    }
    const record = this.memory.note(c.callId, c.expiresAt);
    if (record.cancelled || record.rung || record.notified) return;
    record.ring = c;
    record.notified = true;
    this.receipt(c.callId);
    this.events.emit('callNotification', { result, data: message });
  }

  /** A ring that should ring: once per call id, never after its cancel. */
  private ring(c: CallResult): void {
    if (c.expiresAt === undefined) return;
    const record = this.memory.note(c.callId, c.expiresAt);
    record.ring = c;
    if (record.cancelled || record.rung) return;
    record.rung = true;
    this.receipt(c.callId);
    const call = new Call(
      { ...c, expiresAt: c.expiresAt },
      c.expiresAt + (this.options.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS),
      {
        respond: async (callId, action) => {
          await this.http().request('POST', `/v1/calls/${encodeURIComponent(callId)}/${action}`, {
            deviceId: this.deviceId,
          });
        },
      },
    );
    this.calls.set(call.callId, call);
    const forget = () => this.calls.delete(call.callId);
    call.on('answered', forget);
    call.on('declined', forget);
    call.on('cancelled', forget);
    this.events.emit('incomingCall', call);
  }

  private cancel(c: CallResult, reason: CancelReason): void {
    this.memory.note(c.callId, c.expiresAt).cancelled = reason;
    this.calls.get(c.callId)?.stop(reason);
  }

  /** A Kaleyra-format ring: ring its call now if the socket already brought it, else open the socket for it. */
  private relayRoom(roomId: string): void {
    const known = this.memory.idsOfRoom(roomId).map((id) => this.memory.get(id)?.ring);
    const ring = known.find((r) => r !== undefined && !r.timedOut);
    if (ring) {
      this.ring(ring);
      return;
    }
    if (this.handling === 'manual') this.relayedRooms.add(roomId);
    try {
      this.startListeningOnActiveConnection();
    } catch (error) {
      this.events.emit('error', error as Error);
    }
  }

  private cancelRoom(roomId: string, reason: CancelReason): void {
    for (const id of this.memory.idsOfRoom(roomId)) {
      const ring = this.memory.get(id)?.ring;
      if (ring) this.cancel(ring, reason);
    }
  }

  /** Tells the gateway the ring arrived: over the socket when it is open (cheaper), else over HTTP. */
  private receipt(callId: string): void {
    const record = this.memory.get(callId);
    if (!record || record.receipted) return;
    record.receipted = true;
    if (this.session?.connection?.send({ type: 'receipt', callId })) return;
    this.http()
      .request('POST', `/v1/calls/${encodeURIComponent(callId)}/receipts`, { deviceId: this.deviceId })
      .catch((error: unknown) => {
        record.receipted = false;
        this.events.emit('error', error as Error);
      });
  }

  private http(): GatewayHttp {
    if (!this.session) throw new CallPushError(0, 'not_connected', 'call connect() first');
    return this.session.http;
  }

  private devicePath(): string {
    return `/v1/me/devices/${encodeURIComponent(this.deviceId)}`;
  }
}
