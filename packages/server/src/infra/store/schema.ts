/**
 * The portable schema (SQLite and PostgreSQL): text ids, integer epoch milliseconds, JSON as text,
 * booleans as integers. Times are `bigint` in PostgreSQL and parsed back to numbers by the pg pool.
 */
export interface AppsTable {
  key: string;
  name: string;
  /** The app secret, encrypted with the master key. */
  secret_enc: string;
  created_at: number;
  /** JSON of the app's settings (missed-call notices, reject when busy); null: the defaults. */
  settings_json: string | null;
  /** JSON of the app's notification texts per locale; null: the built-in ones. */
  notifications_json: string | null;
}

export interface ProviderCredentialsTable {
  app_key: string;
  name: string;
  type: string;
  /** The whole credential (secret parts included), encrypted with the master key. */
  config_enc: string;
  /** JSON of what GET shows: public fields and fingerprints of the secret ones. */
  public_json: string;
  created_at: number;
  updated_at: number;
}

/** One push registration of a device: a device holds at most one per kind (`voip`, `alert`). */
export interface DeviceRegistrationsTable {
  app_key: string;
  user_id: string;
  device_id: string;
  /** Name of the provider credential the token belongs to. */
  provider: string;
  /** Its type (fcm, hms, apns, webpush): a push token is unique per app and provider type. */
  provider_type: string;
  token: string;
  kind: string;
  /** BCP 47 language tag the device's notifications are written in; null: the app's default. */
  locale: string | null;
  /** JSON of what the device reported it can do (docs/diagnosis.md); null: nothing reported. */
  capabilities_json: string | null;
  /** APNs only: the environment (sandbox | production) that issued the token; null: the credential's. */
  environment: string | null;
  /** Web Push only: the body its pushes take (declarative | service-worker); null: the credential's. */
  format: string | null;
  created_at: number;
  /** Last (re-)registration; the least recent is evicted beyond the per-user limit. */
  registered_at: number;
}

export interface CallsTable {
  id: string;
  app_key: string;
  caller: string;
  display_name: string | null;
  video: number;
  headers_json: string;
  callees_json: string;
  state: string;
  end_reason: string | null;
  answered_by_user: string | null;
  answered_by_device: string | null;
  idempotency_key: string | null;
  /** Who sent the key: `app`, or `user:<userId>`; a key replays only for the same scope. */
  idempotency_scope: string | null;
  /** 1 for a test ring: no missed-call notice. */
  test: number;
  created_at: number;
  expires_at: number;
  updated_at: number;
}

export interface DeliveriesTable {
  id: string;
  call_id: string;
  app_key: string;
  user_id: string;
  device_id: string;
  provider: string;
  provider_type: string;
  token: string;
  kind: string;
  /** Its registration's APNs environment (sandbox | production); null: the credential's. */
  environment: string | null;
  /** Its registration's Web Push format (declarative | service-worker); null: the credential's. */
  format: string | null;
  /** push | connection. */
  transport: string;
  type: string;
  cancel_reason: string | null;
  state: string;
  outcome: string | null;
  detail: string | null;
  attempts: number;
  deadline: number;
  created_at: number;
  first_attempt_at: number | null;
  sent_at: number | null;
  received_at: number | null;
  updated_at: number;
  /** The node working on the delivery while it is owed; null once it is done. */
  lease_owner: string | null;
  /** Epoch ms after which another node may take the delivery over; null once it is done. */
  lease_until: number | null;
  /** Epoch ms of the next attempt of a pending delivery that was refused for now; null otherwise. */
  next_attempt_at: number | null;
  /** The language of a cancel's or missed-call notice's text (its device's locale); null: the app's default. */
  locale: string | null;
  /** The provider's message id of an accepted push (FCM message name, APNs apns-id, ...). */
  provider_id: string | null;
  /**
   * What the provider's own delivery receipt reported (HMS: delivered | held | undelivered | unknown), in
   * callpush's words with the provider's status code, and when (migration 0011).
   */
  provider_receipt: string | null;
  provider_receipt_reason: string | null;
  provider_receipt_at: number | null;
  /** What the device did with a ring: `answered` or `declined`; when. */
  acted: string | null;
  acted_at: number | null;
}

export interface KaleyraWebhooksTable {
  app_key: string;
  scheme: string;
  payload_format: string;
  /** `{secret, credentials?}`, encrypted with the master key. */
  config_enc: string;
  /** JSON of what GET shows: scheme, format, base URL and fingerprints of the secrets. */
  public_json: string;
  created_at: number;
  updated_at: number;
}

export interface KaleyraEventsTable {
  app_key: string;
  /** The webhook's identity: `webhook-id` (Standard Webhooks) or a hash of the body (bandyer-signature). */
  event_key: string;
  event: string;
  room_id: string | null;
  action: string;
  call_id: string | null;
  received_at: number;
}

export interface KaleyraCallsTable {
  call_id: string;
  app_key: string;
  room_id: string;
  event: string;
  payload_format: string;
  /** The webhook body as received. */
  body: string;
  created_at: number;
}

export interface EventEndpointsTable {
  app_key: string;
  url: string;
  events_json: string | null;
  secret_enc: string;
  previous_secret_enc: string | null;
  previous_until: number | null;
  disabled_at: number | null;
  disabled_reason: string | null;
  created_at: number;
  updated_at: number;
}

export interface EventOutboxTable {
  id: string;
  app_key: string;
  type: string;
  subject: string;
  seq: number;
  payload_json: string;
  created_at: number;
  state: string;
  attempts: number;
  next_attempt_at: number | null;
  lease_owner: string | null;
  lease_until: number | null;
  delivered_at: number | null;
  last_status: number | null;
  last_error: string | null;
}

export interface EventAttemptsTable {
  id: string;
  app_key: string;
  event_id: string;
  type: string;
  url: string;
  attempt: number;
  status: number | null;
  error: string | null;
  latency_ms: number;
  at: number;
}

export interface Database {
  apps: AppsTable;
  provider_credentials: ProviderCredentialsTable;
  device_registrations: DeviceRegistrationsTable;
  calls: CallsTable;
  deliveries: DeliveriesTable;
  kaleyra_webhooks: KaleyraWebhooksTable;
  kaleyra_events: KaleyraEventsTable;
  kaleyra_calls: KaleyraCallsTable;
  event_endpoints: EventEndpointsTable;
  event_outbox: EventOutboxTable;
  event_attempts: EventAttemptsTable;
}
