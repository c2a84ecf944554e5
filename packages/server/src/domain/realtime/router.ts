import type { Cluster } from '#infra/cluster';
import type { Connection, ConnectionHub } from './hub.js';

/** The live sockets of some users, on this node and on others, at one moment. */
export interface LiveDevices {
  devices(): Array<{ userId: string; deviceId: string }>;
  /**
   * Sends a frame to a device's socket here, or hands it to the node holding it; false when it has none. The
   * frame is built only then: most devices of a call have no socket.
   */
  send(userId: string, deviceId: string, frame: () => string): boolean;
}

/**
 * Rings and cancels reach a device's socket wherever it is held: on this node directly, on another through
 * the cluster, which hands the frame to the node holding the socket (docs/scale-out.md).
 */
export class ConnectionRouter {
  private readonly hub: ConnectionHub;
  private readonly cluster: Cluster;

  constructor(deps: { hub: ConnectionHub; cluster: Cluster }) {
    const { hub, cluster } = deps;
    this.hub = hub;
    this.cluster = cluster;
    hub.onAdded((c) => cluster.present(c.appKey, c.userId, c.deviceId));
    hub.onLost((c) => cluster.absent(c.appKey, c.userId, c.deviceId));
    // Presence lives in Redis: after an outage, announce again what this node holds.
    cluster.onReconnect(() => {
      for (const c of hub.all()) cluster.present(c.appKey, c.userId, c.deviceId);
    });
    cluster.onEvent((event) => {
      if (event.kind === 'frame') hub.send(event.appKey, event.userId, event.deviceId, event.frame);
    });
  }

  async locate(appKey: string, userIds: string[]): Promise<LiveDevices> {
    const remote = this.cluster.shared ? await this.cluster.locate(appKey, userIds) : new Map();
    const hub = this.hub;
    const cluster = this.cluster;
    return {
      devices: () =>
        userIds.flatMap((userId) => {
          const ids = new Set([...hub.devicesOf(appKey, userId), ...(remote.get(userId)?.keys() ?? [])]);
          return [...ids].map((deviceId) => ({ userId, deviceId }));
        }),
      send: (userId, deviceId, frame) => {
        if (hub.send(appKey, userId, deviceId, frame)) return true;
        const node = remote.get(userId)?.get(deviceId);
        return node !== undefined && cluster.publish(node, { kind: 'frame', appKey, userId, deviceId, frame: frame() });
      },
    };
  }

  /** Called when a socket held here goes away. */
  onLost(listener: (c: Connection) => void): void {
    this.hub.onLost(listener);
  }
}
