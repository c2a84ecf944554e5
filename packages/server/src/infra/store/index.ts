export { type Engine, openStore, type Store, type StoreOptions } from './connect.js';
export { retryingDeadlocks } from './deadlocks.js';
export { registerStoreMetrics } from './metrics.js';
export { PreparedInsert, PreparedQuery } from './prepared-query.js';
export type {
  AppsTable,
  CallsTable,
  Database,
  DeliveriesTable,
  DeviceRegistrationsTable,
  EventAttemptsTable,
  EventEndpointsTable,
  EventOutboxTable,
  KaleyraCallsTable,
  KaleyraEventsTable,
  KaleyraWebhooksTable,
  ProviderCredentialsTable,
} from './schema.js';
export { type BatchedWrite, StoreClosed } from './write-batch.js';
