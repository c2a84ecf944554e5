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

export interface DevicesTable {
  app_key: string;
  user_id: string;
  device_id: string;
  /** Name of the provider credential the token belongs to. */
  provider: string;
  /** Its type (fcm, hms, apns, webpush): a push token is unique per app and provider type. */
  provider_type: string;
  token: string;
  kind: string;
  created_at: number;
  /** Last (re-)registration; the least recent is evicted beyond the per-user limit. */
  registered_at: number;
}

export interface Database {
  apps: AppsTable;
  provider_credentials: ProviderCredentialsTable;
  devices: DevicesTable;
}
