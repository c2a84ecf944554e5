export { type Cluster, type ClusterEvent, LocalCluster, newNodeId, type Presence } from './cluster.js';
export { clusterMetrics } from './metrics.js';
export { RedisCluster } from './redis-cluster.js';
