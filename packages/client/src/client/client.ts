import { DEFAULT_CLOCK_SKEW_MS, queryPushPayload } from '../payload/index.js';
import type { CallResult, CancelReason, NotificationResult } from '../payload/types.js';
import { type BackoffOptions, DEFAULT_BACKOFF } from './backoff.js';
import { Call, type MissedCallNotice } from './call.js';
import { CallMemory } from './call-memory.js';
import { type CallStatus, readCallStatus, ringOutcome } from './call-status.js';
import { ActiveConnection, type ConnectedInfo, type DisconnectedInfo } from './connection.js';
import { Emitter } from './emitter.js';
import { CallPushError } from './errors.js';
import { type FetchLike, GatewayHttp } from './http.js';
import { isFinal, OutgoingCall, type PlacedCall, readCallStateFrame } from './outgoing-call.js';
import { type RegisteredDevice, type RegisterPushTokenOptions, registrationBody } from './registration.js';
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
  /** A missed-call notice for a call that did not ring here as an `incomingCall` (a Call gets its own). */
  missed: [notice: MissedCallNotice];
  connected: [info: ConnectedInfo];
  disconnected: [info: DisconnectedInfo];
  error: [error: Error];
};

/** Placed calls followed at once; more than a device places within one call's ring, far less than a leak. */
const MAX_FOLLOWED_CALLS = 64;

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
  /** Calls placed here and not over yet, which the caller's `call.state` frames update. */
  private readonly outgoing = new Map<string, OutgoingCall>();
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
    this.memory.clear();
    this.outgoing.clear();
    this.relayedRooms.clear();
  }

  /**
   * Registers (or moves) this device's push token, or its two (PushKit and APNs):
   * `PUT /v1/me/devices/{deviceId}`. The gateway then holds exactly the registrations given.
   */
  registerPushToken(options: RegisterPushTokenOptions): Promise<RegisteredDevice> {
    return this.http().request('PUT', this.devicePath(), registrationBody(options));
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
    const call = new OutgoingCall(placed, {
      act: (callId, action) => http.request<PlacedCall>('POST', `/v1/calls/${encodeURIComponent(callId)}/${action}`),
    });
    this.follow(call);
    return call;
  }

  /**
   * Where a call stands for this device (`GET /v1/calls/{id}/status`): cheap enough to ask when the app comes
   * back to the foreground. A ring of it still showing here stops when the answer says the call is over.
   */
  async callStatus(callId: string): Promise<CallStatus> {
    const path = `/v1/calls/${encodeURIComponent(callId)}/status?deviceId=${encodeURIComponent(this.deviceId)}`;
    const status = readCallStatus(await this.http().request<unknown>('GET', path), callId);
    if (!status) throw new CallPushError(200, 'invalid_response', `the gateway answered no status of call ${callId}`);
    this.learn(status);
    return status;
  }

  /**
   * Hands the client a push's data (an FCM/HMS data map, an APNs payload, a Web Push message). A valid ring
   * that has not timed out becomes an `incomingCall` (once per call, however many ways it arrives) and its
   * receipt goes to the gateway, whose answer stops the call again if it is already over elsewhere; a cancel
   * stops its call; a missed notice goes to its call, or is the client's `missed` event. A `kaleyra`-format
   * ring names only a Kaleyra room, so it opens the active connection instead, whose catch-up ring becomes the
   * `incomingCall`.
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
      this.cancel(c.callId, c.expiresAt, c.reason ?? 'caller_cancelled');
    } else if (result.isMissed) {
      this.missed(c);
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

  /** A call frame from the active connection. */
  private live(message: Record<string, unknown>): void {
    if (message.type === 'call.state') {
      const frame = readCallStateFrame(message);
      if (frame) this.outgoing.get(frame.callId)?.follow(frame);
      return;
    }
    const result = this.read(message);
    const c = result.callResult;
    if (!result.isValid || !c) return;
    if (result.isMissed) {
      this.missed(c);
      return;
    }
    if (result.isCancel) {
      const record = this.memory.get(c.callId);
      this.cancel(c.callId, c.expiresAt, c.reason ?? 'caller_cancelled');
      // In manual handling the app may be showing the ring it was told about; it needs the cancel too.
      if (record?.notified && !record.call) this.events.emit('callNotification', { result, data: message });
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
    if (record.cancelled || record.call || record.notified) return;
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
    if (record.cancelled || record.call) return;
    record.call = new Call(
      { ...c, expiresAt: c.expiresAt },
      c.expiresAt + (this.options.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS),
      {
        respond: async (callId, action, extra) => {
          await this.http().request('POST', `/v1/calls/${encodeURIComponent(callId)}/${action}`, {
            deviceId: this.deviceId,
            ...extra,
          });
        },
      },
    );
    // Rung before the receipt's answer can say the call is over: iOS wants a VoIP push reported at once, and
    // a ring already over then shows for one round trip at most.
    this.receipt(c.callId);
    this.events.emit('incomingCall', record.call);
  }

  private cancel(callId: string, expiresAt: number | undefined, reason: CancelReason): void {
    const record = this.memory.note(callId, expiresAt);
    record.cancelled = reason;
    record.call?.stop(reason);
  }

  /** A missed notice, told once: to the call that rang here, or as the client's `missed` event. */
  private missed(c: CallResult): void {
    if (!c.missed) return;
    const notice: MissedCallNotice = { ...c, missed: c.missed };
    const record = this.memory.note(c.callId, c.expiresAt);
    // It ends the call too: a ring arriving after it must not ring.
    record.cancelled ??= c.missed.reason;
    if (record.missed) return;
    record.missed = true;
    if (record.call) record.call.miss(notice);
    else this.events.emit('missed', notice);
  }

  /** What the gateway says of a call (a receipt's or a status request's answer), applied to its ring here. */
  private learn(status: CallStatus): void {
    const outcome = ringOutcome(status.status);
    if (outcome === 'answered') this.memory.get(status.callId)?.call?.answered();
    else if (outcome !== 'ringing') this.cancel(status.callId, undefined, outcome);
  }

  /** Keeps a placed call until it is over, for the `call.state` frames of the active connection. */
  private follow(call: OutgoingCall): void {
    if (isFinal(call.state)) return;
    // Bounded: a call nobody hears the end of (no connection, never cancelled) must not stay forever.
    if (this.outgoing.size >= MAX_FOLLOWED_CALLS) this.outgoing.delete(this.outgoing.keys().next().value as string);
    this.outgoing.set(call.callId, call);
    const off = call.on('state', ({ state }) => {
      if (!isFinal(state)) return;
      off();
      this.outgoing.delete(call.callId);
    });
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
      if (ring) this.cancel(ring.callId, ring.expiresAt, reason);
    }
  }

  /**
   * Tells the gateway the ring arrived: over the socket when it is open (cheaper; the socket then brings the
   * call's cancel), else over HTTP, whose answer says where the call stands.
   */
  private receipt(callId: string): void {
    const record = this.memory.get(callId);
    if (!record || record.receipted) return;
    record.receipted = true;
    if (this.session?.connection?.send({ type: 'receipt', callId })) return;
    this.http()
      .request<{ call?: unknown } | undefined>('POST', `/v1/calls/${encodeURIComponent(callId)}/receipts`, {
        deviceId: this.deviceId,
      })
      .then(
        (answer) => {
          // A gateway from before call statuses answers without one: the ring simply goes on.
          const status = readCallStatus(answer?.call, callId);
          if (status) this.learn(status);
        },
        (error: unknown) => {
          record.receipted = false;
          this.events.emit('error', error as Error);
        },
      );
  }

  private http(): GatewayHttp {
    if (!this.session) throw new CallPushError(0, 'not_connected', 'call connect() first');
    return this.session.http;
  }

  private devicePath(): string {
    return `/v1/me/devices/${encodeURIComponent(this.deviceId)}`;
  }
}
