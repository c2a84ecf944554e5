import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import type { Cluster, ClusterEvent, Presence } from './cluster.js';
import type { ClusterMetrics } from './metrics.js';

const PREFIX = 'callpush:';
const ALL = `${PREFIX}all`;
const NODES = `${PREFIX}nodes`;
const channelOf = (nodeId: string) => `${PREFIX}node:${nodeId}`;
const presenceKey = (appKey: string, userId: string) => `${PREFIX}presence:${appKey}:${userId}`;
const CLAIM_PREFIX = `${PREFIX}claim:`;

/** Nodes announce themselves this often; one silent for `NODE_TTL_MS` is dead and its sockets ignored. */
const NODE_BEAT_MS = 2000;
const NODE_TTL_MS = 3 * NODE_BEAT_MS;
/** Redis may never hold up a ring for long: past this a command fails and the node goes on without it. */
const COMMAND_TIMEOUT_MS = 250;

/** Deletes a presence entry only if it still names this node (the device may have moved to another). */
const WITHDRAW = `if redis.call('hget', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('hdel', KEYS[1], ARGV[1]) end return 0`;

/** Cross-node events over Redis pub/sub, socket presence in Redis hashes, node liveness in a sorted set. */
export class RedisCluster implements Cluster {
  readonly shared = true;
  private readonly cmd: Redis;
  private readonly sub: Redis;
  private readonly listeners: Array<(event: ClusterEvent) => void> = [];
  private readonly reconnectListeners: Array<() => void> = [];
  private liveNodes = new Set<string>();
  private readonly beat: NodeJS.Timeout;
  private wasDown = false;

  readonly nodeId: string;
  private readonly metrics: ClusterMetrics;
  private readonly log: FastifyBaseLogger;
  private started = false;

  /** ioredis is loaded only by nodes that use Redis: a single node starts faster and smaller without it. */
  static async create(
    deps: { metrics: ClusterMetrics; log: FastifyBaseLogger },
    settings: { url: string; nodeId: string },
  ): Promise<RedisCluster> {
    const { Redis } = await import('ioredis');
    return new RedisCluster(deps, settings, Redis);
  }

  private constructor(
    deps: { metrics: ClusterMetrics; log: FastifyBaseLogger },
    settings: { url: string; nodeId: string },
    RedisClient: typeof Redis,
  ) {
    const { url } = settings;
    this.nodeId = settings.nodeId;
    this.metrics = deps.metrics;
    this.log = deps.log;
    const options = {
      lazyConnect: true,
      // Commands fail at once while Redis is away instead of queueing behind a ring.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: COMMAND_TIMEOUT_MS,
      retryStrategy: (times: number) => Math.min(times * 100, 2000),
    };
    this.cmd = new RedisClient(url, options);
    // The subscriber keeps its offline queue: its subscriptions are replayed when it reconnects.
    this.sub = new RedisClient(url, { ...options, enableOfflineQueue: true, commandTimeout: undefined });
    this.cmd.on('error', (err: Error) => this.down('redis', err));
    // A Redis back before the first reconnect attempt fails raises no error, yet it may be a new, empty one
    // (a restart, a failover): losing the connection is what says presence must be announced again.
    this.cmd.on('close', () => {
      if (this.started) this.down('redis', new Error('connection closed'));
    });
    this.sub.on('error', (err: Error) => this.down('redis', err));
    this.cmd.on('ready', () => {
      if (!this.wasDown) return;
      this.wasDown = false;
      this.log.info('redis is back');
      void this.heartbeat();
      for (const listener of this.reconnectListeners) listener();
    });
    this.sub.on('message', (_channel: string, text: string) => this.receive(text));
    this.beat = setInterval(() => void this.heartbeat(), NODE_BEAT_MS);
    this.beat.unref();
  }

  /** The command connection (fails fast while Redis is away), for other shared state such as rate limits. */
  get client(): Redis {
    return this.cmd;
  }

  /** Connects; a Redis that is down now does not stop the node (it rings by push until Redis is back). */
  async start(): Promise<void> {
    this.started = true;
    await Promise.all([
      this.cmd.connect().catch((err: Error) => this.down('redis', err)),
      this.sub.connect().catch((err: Error) => this.down('redis', err)),
    ]);
    // Not awaited: while Redis is down the subscription waits in the queue and is made when it comes back.
    this.sub.subscribe(channelOf(this.nodeId), ALL).catch((err: Error) => this.down('redis', err));
    await this.heartbeat();
  }

  publish(target: string, event: ClusterEvent): boolean {
    if (this.cmd.status !== 'ready') {
      this.metrics.degraded.inc({ reason: 'publish' });
      return false;
    }
    const channel = target === 'all' ? ALL : channelOf(target);
    this.cmd.publish(channel, JSON.stringify({ from: this.nodeId, event })).catch((err: Error) => {
      this.metrics.degraded.inc({ reason: 'publish' });
      this.log.warn({ err: err.message }, 'cluster event not published');
    });
    return true;
  }

  onEvent(listener: (event: ClusterEvent) => void): void {
    this.listeners.push(listener);
  }

  onReconnect(listener: () => void): void {
    this.reconnectListeners.push(listener);
  }

  present(appKey: string, userId: string, deviceId: string): void {
    this.cmd.hset(presenceKey(appKey, userId), deviceId, this.nodeId).catch(() => this.degraded('presence'));
  }

  absent(appKey: string, userId: string, deviceId: string): void {
    this.cmd
      .eval(WITHDRAW, 1, presenceKey(appKey, userId), deviceId, this.nodeId)
      .catch(() => this.degraded('presence'));
  }

  async claim(key: string, ttlMs: number): Promise<boolean | undefined> {
    if (this.cmd.status !== 'ready') {
      this.metrics.degraded.inc({ reason: 'claim' });
      return undefined;
    }
    try {
      return (await this.cmd.set(`${CLAIM_PREFIX}${key}`, this.nodeId, 'PX', ttlMs, 'NX')) === 'OK';
    } catch {
      this.metrics.degraded.inc({ reason: 'claim' });
      return undefined;
    }
  }

  async unclaim(key: string): Promise<void> {
    await this.cmd.del(`${CLAIM_PREFIX}${key}`).catch(() => this.metrics.degraded.inc({ reason: 'claim' }));
  }

  async locate(appKey: string, userIds: string[]): Promise<Presence> {
    const found: Presence = new Map();
    if (this.cmd.status !== 'ready') {
      this.metrics.degraded.inc({ reason: 'presence' });
      return found;
    }
    try {
      // Which nodes are alive is read in the same round trip: a node that just started is reached at once.
      const pipeline = this.cmd.pipeline().zrangebyscore(NODES, Date.now() - NODE_TTL_MS, '+inf');
      for (const userId of userIds) pipeline.hgetall(presenceKey(appKey, userId));
      const [live, ...results] = (await pipeline.exec()) ?? [];
      if (live && !live[0]) this.liveNodes = new Set(live[1] as string[]);
      results.forEach(([err, value], i) => {
        if (err || !value) return;
        const devices = new Map<string, string>();
        for (const [deviceId, nodeId] of Object.entries(value as Record<string, string>)) {
          if (nodeId !== this.nodeId && this.liveNodes.has(nodeId)) devices.set(deviceId, nodeId);
        }
        if (devices.size > 0) found.set(userIds[i]!, devices);
      });
    } catch {
      this.metrics.degraded.inc({ reason: 'presence' });
    }
    return found;
  }

  async ping(): Promise<void> {
    await this.cmd.ping();
  }

  async close(): Promise<void> {
    this.started = false;
    clearInterval(this.beat);
    await this.cmd.zrem(NODES, this.nodeId).catch(() => undefined);
    this.sub.disconnect();
    this.cmd.disconnect();
  }

  /** Announces this node as alive and learns which others are. */
  private async heartbeat(): Promise<void> {
    if (this.cmd.status !== 'ready') return;
    const now = Date.now();
    try {
      const [, , live] = (await this.cmd
        .multi()
        .zadd(NODES, now, this.nodeId)
        .zremrangebyscore(NODES, '-inf', now - 10 * NODE_TTL_MS)
        .zrangebyscore(NODES, now - NODE_TTL_MS, '+inf')
        .exec()) as [unknown, unknown, [Error | null, string[]]];
      this.liveNodes = new Set(live[1]);
    } catch {
      this.degraded('heartbeat');
    }
  }

  private receive(text: string): void {
    let message: { from?: string; event?: ClusterEvent };
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (!message.event || message.from === this.nodeId) return;
    for (const listener of this.listeners) listener(message.event);
  }

  private degraded(reason: string): void {
    this.metrics.degraded.inc({ reason });
  }

  private down(reason: string, err: Error): void {
    if (!this.wasDown) this.log.warn({ err: err.message }, 'redis unreachable: ringing by push alone until it is back');
    this.wasDown = true;
    this.degraded(reason);
  }
}
