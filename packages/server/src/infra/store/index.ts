export { type Engine, openStore, type Store, type StoreOptions } from './connect.js';
export type {
  AppsTable,
  CallsTable,
  Database,
  DeliveriesTable,
  DeviceRegistrationsTable,
  KaleyraCallsTable,
  KaleyraEventsTable,
  KaleyraWebhooksTable,
  ProviderCredentialsTable,
} from './schema.js';
