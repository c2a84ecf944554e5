import type { AppsService } from '../apps/index.js';
import type { CallsService } from '../calls/index.js';
import type { Cluster } from '../cluster/index.js';
import type { DevicesService } from '../devices/index.js';
import type { ProvidersService } from '../providers/index.js';
import type { ConnectionHub } from '../realtime/index.js';
import type { Store } from '../store/index.js';
import type { TokenSettings } from '../tokens/index.js';
import type { KaleyraConfigStore, KaleyraService } from '../webhooks/index.js';

/** What the route plugins need, handed to each explicitly (no globals). */
export interface Services {
  store: Store;
  apps: AppsService;
  providers: ProvidersService;
  devices: DevicesService;
  calls: CallsService;
  tokens: TokenSettings;
  kaleyra: { configs: KaleyraConfigStore; service: KaleyraService };
  /** The other nodes (a `LocalCluster` when alone). */
  cluster: Cluster;
  /** Active connections held by this node. */
  connections: { hub: ConnectionHub; heartbeatMs: number; ackWindowMs: number };
  /** Admin bearer token; undefined disables the admin API. */
  adminToken?: string;
}
