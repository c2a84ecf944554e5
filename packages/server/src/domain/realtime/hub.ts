import type { WebSocket } from 'ws';
import { CLOSE } from './protocol.js';

/** One authenticated socket. */
export interface Connection {
  appKey: string;
  userId: string;
  deviceId: string;
  socket: WebSocket;
  /** Epoch ms of the last frame received (any frame is a sign of life). */
  lastSeen: number;
  /** Epoch ms at which the socket's access token expires, unless the client sends a fresh one. */
  tokenExpiresAt: number;
}

export interface HubOptions {
  heartbeatMs: number;
  /** Sockets one user may hold (the device limit): one more closes the user's oldest. */
  maxPerUser: number;
  now?: () => number;
}

const userKey = (appKey: string, userId: string) => `${appKey}\u0000${userId}`;

/**
 * The sockets this node holds, by app, user and device. One sweep timer for all of them (not one per socket:
 * memory per idle connection is what bounds a node) pings, closes the silent and the expired.
 */
export class ConnectionHub {
  private readonly users = new Map<string, Map<string, Connection>>();
  private readonly addedListeners: Array<(c: Connection) => void> = [];
  private readonly lostListeners: Array<(c: Connection) => void> = [];
  private readonly sweep: NodeJS.Timeout;
  private readonly now: () => number;
  private count = 0;
  private sweeping = false;

  constructor(private readonly options: HubOptions) {
    this.now = options.now ?? Date.now;
    this.sweep = setInterval(() => this.heartbeat(), options.heartbeatMs);
    this.sweep.unref();
  }

  get size(): number {
    return this.count;
  }

  /** Adds a socket; an older socket of the same device is closed (4009): one live socket per device. */
  add(conn: Connection): void {
    const key = userKey(conn.appKey, conn.userId);
    let devices = this.users.get(key);
    if (!devices) {
      devices = new Map();
      this.users.set(key, devices);
    }
    const previous = devices.get(conn.deviceId);
    devices.delete(conn.deviceId);
    devices.set(conn.deviceId, conn);
    if (previous) {
      // Detached first, so its close does not count as the device going away.
      previous.socket.removeAllListeners('close');
      closeSocket(previous.socket, CLOSE.replaced, 'replaced', 'another socket of this device connected');
    } else {
      this.count += 1;
    }
    // Maps keep insertion order: the first entry is the user's oldest socket.
    const oldest = devices.size > this.options.maxPerUser ? devices.values().next().value : undefined;
    if (oldest) {
      closeSocket(oldest.socket, CLOSE.replaced, 'evicted', 'the user has too many sockets; the oldest is closed');
      this.remove(oldest);
    }
    for (const listener of this.addedListeners) listener(conn);
  }

  /** Removes a socket that closed, if it is still the device's current one, and tells the listeners. */
  remove(conn: Connection): void {
    const key = userKey(conn.appKey, conn.userId);
    const devices = this.users.get(key);
    if (devices?.get(conn.deviceId) !== conn) return;
    devices.delete(conn.deviceId);
    if (devices.size === 0) this.users.delete(key);
    this.count -= 1;
    for (const listener of this.lostListeners) listener(conn);
  }

  /** Called when a device's socket is added (it is announced to the other nodes). */
  onAdded(listener: (c: Connection) => void): void {
    this.addedListeners.push(listener);
  }

  /** Every socket held here. */
  *all(): Iterable<Connection> {
    for (const devices of this.users.values()) yield* devices.values();
  }

  /** Called when a device's socket goes away (its unacknowledged rings fall back to push). */
  onLost(listener: (c: Connection) => void): void {
    this.lostListeners.push(listener);
  }

  /** Devices of a user with a live socket on this node. */
  devicesOf(appKey: string, userId: string): string[] {
    return [...(this.users.get(userKey(appKey, userId))?.keys() ?? [])];
  }

  /**
   * Sends a text frame to a device's socket; false when the device has no open socket here. The frame may be
   * given as a function, called only when there is a socket to send it to.
   */
  send(appKey: string, userId: string, deviceId: string, frame: string | (() => string)): boolean {
    const conn = this.users.get(userKey(appKey, userId))?.get(deviceId);
    if (!conn || conn.socket.readyState !== conn.socket.OPEN) return false;
    conn.socket.send(typeof frame === 'string' ? frame : frame());
    return true;
  }

  private heartbeat(): void {
    if (this.sweeping) return;
    this.sweeping = true;
    this.sweepAll().finally(() => {
      this.sweeping = false;
    });
  }

  /**
   * One pass over every socket, yielding to the event loop every few hundred: a single synchronous pass over
   * 10,000 sockets blocked rings for up to 0.6 s (docs/benchmarks.md).
   */
  private async sweepAll(): Promise<void> {
    const now = this.now();
    const silentSince = now - 2 * this.options.heartbeatMs;
    let visited = 0;
    for (const devices of this.users.values()) {
      for (const conn of devices.values()) {
        if (++visited % SWEEP_BATCH === 0) await new Promise((resolve) => setImmediate(resolve));
        if (conn.lastSeen < silentSince) {
          closeSocket(conn.socket, CLOSE.heartbeatTimeout, 'heartbeat_timeout', 'no frame for two heartbeat intervals');
        } else if (conn.tokenExpiresAt <= now) {
          closeSocket(
            conn.socket,
            CLOSE.unauthorized,
            'token_expired',
            'the access token expired; reconnect with a new one',
          );
        } else {
          conn.socket.send(PING);
        }
      }
    }
  }

  /** Closes every socket (1001: the node is going away; clients reconnect elsewhere). */
  close(): void {
    clearInterval(this.sweep);
    for (const devices of this.users.values()) {
      for (const conn of devices.values())
        closeSocket(conn.socket, CLOSE.goingAway, 'shutting_down', 'the node is stopping');
    }
  }
}

const PING = JSON.stringify({ type: 'ping' });
const SWEEP_BATCH = 500;

/** Sends the error frame the protocol promises before a close, then closes. */
export function closeSocket(socket: WebSocket, code: number, errorCode: string, message: string): void {
  if (socket.readyState === socket.OPEN) socket.send(JSON.stringify({ type: 'error', code: errorCode, message }));
  socket.close(code, errorCode);
}
