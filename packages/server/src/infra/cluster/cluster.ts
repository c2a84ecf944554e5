import { newId } from '#kernel';

/** What nodes tell each other. */
export type ClusterEvent =
  /** Send this frame to a device whose socket is held by the receiving node. */
  | { kind: 'frame'; appKey: string; userId: string; deviceId: string; frame: string }
  /** A call's state changed: in-flight work for it should look again. */
  | { kind: 'call'; callId: string }
  /** A provider credential was replaced or deleted: drop clients built on it. */
  | { kind: 'provider'; appKey: string; name: string }
  /** An app was deleted: forget its cached secret. */
  | { kind: 'app'; appKey: string }
  /** An app's settings or notification texts changed: forget the cached copy. */
  | { kind: 'appSettings'; appKey: string }
  /** An app's event endpoint changed: forget the cached copy. */
  | { kind: 'eventEndpoint'; appKey: string };

/** Where the devices of some users have a live socket: user id → device id → node id. */
export type Presence = Map<string, Map<string, string>>;

/**
 * The other nodes, as this node sees them. Without Redis there are none (`LocalCluster`); with it
 * (`RedisCluster`) events travel by pub/sub and socket presence is a Redis hash per user. Nothing here may
 * fail a call: when Redis is unreachable the node rings by push alone and counts itself degraded.
 */
export interface Cluster {
  readonly nodeId: string;
  /** Whether other nodes can exist (Redis is configured). */
  readonly shared: boolean;
  /** Sends an event to one node, or to every other node with `all`; false when it could not be sent. */
  publish(target: string, event: ClusterEvent): boolean;
  onEvent(listener: (event: ClusterEvent) => void): void;
  /** Called after Redis came back: what this node announced may have been lost with it. */
  onReconnect(listener: () => void): void;
  /** Announces and withdraws a socket held by this node. */
  present(appKey: string, userId: string, deviceId: string): void;
  absent(appKey: string, userId: string, deviceId: string): void;
  /** Sockets of these users held by other live nodes (empty when that cannot be known right now). */
  locate(appKey: string, userIds: string[]): Promise<Presence>;
  /**
   * Claims `key` across the nodes for `ttlMs` (a webhook's nonce): true when this node got it, false when
   * another had it; undefined when there is nobody to ask (one node alone, or Redis unreachable).
   */
  claim(key: string, ttlMs: number): Promise<boolean | undefined>;
  /** Gives a claim back (the work it guarded failed and may come again). */
  unclaim(key: string): Promise<void>;
  /** Throws when the shared services are unreachable (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const newNodeId = () => newId('n', 6);

/** One node alone: no events to share, no remote sockets. */
export class LocalCluster implements Cluster {
  readonly shared = false;
  constructor(readonly nodeId: string) {}
  publish(): boolean {
    return false;
  }
  onEvent(): void {}
  onReconnect(): void {}
  present(): void {}
  absent(): void {}
  async locate(): Promise<Presence> {
    return new Map();
  }
  async claim(_key: string, _ttlMs: number): Promise<undefined> {
    return undefined;
  }
  async unclaim(_key: string): Promise<void> {}
  async ping(): Promise<void> {}
  async close(): Promise<void> {}
}
