export { type Engine, openStore, type Store, type StoreOptions } from './connect.js';
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
