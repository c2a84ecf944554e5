import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cluster, clusterMetrics, LocalCluster, RedisCluster } from '../../src/infra/cluster/index.js';
import { ReceiptNonces } from '../../src/integrations/hms-receipts/nonces.js';
import { REDIS_URL, redisAvailable } from '../support/services.js';

const withRedis = await redisAvailable();

/**
 * A webhook's nonce is good once across the nodes: two nodes on one Redis, as a replayed Huawei receipt
 * would reach them (docs/providers.md#hms-receipts).
 */
describe.runIf(withRedis)('claims across nodes, on Redis', () => {
  const nodes: Cluster[] = [];
  beforeAll(async () => {
    for (const nodeId of ['n_claim1', 'n_claim2']) {
      const log = pino({ level: 'silent' });
      const cluster = await RedisCluster.create(
        { metrics: clusterMetrics(new Registry()), log },
        { url: REDIS_URL, nodeId },
      );
      await cluster.start();
      nodes.push(cluster);
    }
  });
  afterAll(async () => {
    for (const n of nodes) await n.close();
  });

  it('gives a key to one node only, until it expires or is given back', async () => {
    const key = `test-${randomBytes(6).toString('hex')}`;
    expect(await nodes[0]!.claim(key, 300)).toBe(true);
    expect(await nodes[1]!.claim(key, 300)).toBe(false);
    await nodes[0]!.unclaim(key);
    expect(await nodes[1]!.claim(key, 300)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await nodes[0]!.claim(key, 300)).toBe(true);
  });

  it('a receipt nonce used on one node is refused on the other, and passes again once released', async () => {
    const [a, b] = [new ReceiptNonces(nodes[0]!, 10_000), new ReceiptNonces(nodes[1]!, 10_000)];
    const nonce = randomBytes(8).toString('hex');
    const now = Date.now();
    expect(await a.claim(nonce, now)).toBe(true);
    expect(await a.claim(nonce, now)).toBe(false);
    expect(await b.claim(nonce, now)).toBe(false);
    await a.release(nonce);
    expect(await b.claim(nonce, now)).toBe(true);
  });
});

describe('claims on one node alone', () => {
  it('are this node memory only: the cluster has nobody to ask', async () => {
    const lone = new LocalCluster('n_lone');
    expect(await lone.claim('k', 1000)).toBeUndefined();
    const nonces = new ReceiptNonces(lone, 10_000);
    expect(await nonces.claim('x', 0)).toBe(true);
    expect(await nonces.claim('x', 1)).toBe(false);
  });
});
