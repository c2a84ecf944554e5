import { readFileSync } from 'node:fs';
import type { FcmCredential } from '#providers';

/**
 * The auth-server's config file (docs/huawei-oauth.md has an example): the owner's secrets and identities.
 * Validated by hand with messages naming the key, since an operator writes it.
 */
export interface AuthServerConfig {
  host: string;
  port: number;
  /** This server's flow-B token URL as callpush is configured with it: assertions must name it in `aud`. */
  publicTokenUrl: string;
  /** The gateway's token namespace (`iss` = `//{namespace}/applications/{appKey}`). */
  namespace: string;
  /** Prefix of the app-key header parameter and claim (`callpush:`; Sinch's is `sinch:rtc:`). */
  claimPrefix: string;
  /** callpush app key → app secret (base64), for flow B. */
  apps: Record<string, string>;
  /** Flow-A OAuth clients: client id → client secret. */
  clients: Record<string, string>;
  /** Lifetime of flow-A bearers. */
  bearerTtlSeconds: number;
  hms?: {
    /** Huawei's OAuth token URL (override for emulators). */
    tokenUrl: string;
    /** HMS app id → HMS app secret. */
    apps: Record<string, string>;
  };
  fcm?: {
    serviceAccount: NonNullable<FcmCredential['serviceAccount']>;
    /** The project number callpush names in `fcm_project_number`. */
    projectNumber: string;
  };
}

export class AuthServerConfigError extends Error {}

const HUAWEI_TOKEN_URL = 'https://oauth-login.cloud.huawei.com/oauth2/v3/token';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(o: Json, key: string, path: string, fallback?: string): string {
  const value = o[key] ?? fallback;
  if (typeof value !== 'string' || value === '') throw new AuthServerConfigError(`${path}${key} must be a string`);
  return value;
}

function stringMap(o: Json, key: string, path: string): Record<string, string> {
  const value = o[key] ?? {};
  if (!isObject(value) || !Object.values(value).every((v) => typeof v === 'string' && v !== '')) {
    throw new AuthServerConfigError(`${path}${key} must map names to non-empty strings`);
  }
  return value as Record<string, string>;
}

function url(o: Json, key: string, path: string, fallback?: string): string {
  const value = text(o, key, path, fallback);
  if (!URL.canParse(value)) throw new AuthServerConfigError(`${path}${key} must be an absolute URL`);
  return value;
}

function integer(o: Json, key: string, fallback: number, min: number, max: number): number {
  const value = o[key] ?? fallback;
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    throw new AuthServerConfigError(`${key} must be an integer from ${min} to ${max}`);
  }
  return value as number;
}

function section(o: Json, key: string): Json | undefined {
  const value = o[key];
  if (value === undefined) return undefined;
  if (!isObject(value)) throw new AuthServerConfigError(`${key} must be an object`);
  return value;
}

export function parseAuthServerConfig(raw: unknown): AuthServerConfig {
  if (!isObject(raw)) throw new AuthServerConfigError('the config must be a JSON object');
  const hms = section(raw, 'hms');
  const fcm = section(raw, 'fcm');
  const account = fcm?.serviceAccount;
  if (fcm && !isObject(account)) throw new AuthServerConfigError('fcm.serviceAccount must be the key file object');
  return {
    host: text(raw, 'host', '', '127.0.0.1'),
    port: integer(raw, 'port', 8095, 0, 65535),
    publicTokenUrl: url(raw, 'publicTokenUrl', ''),
    namespace: text(raw, 'namespace', '', 'callpush'),
    claimPrefix: text(raw, 'claimPrefix', '', 'callpush:'),
    apps: stringMap(raw, 'apps', ''),
    clients: stringMap(raw, 'clients', ''),
    bearerTtlSeconds: integer(raw, 'bearerTtlSeconds', 3600, 60, 86_400),
    ...(hms
      ? { hms: { tokenUrl: url(hms, 'tokenUrl', 'hms.', HUAWEI_TOKEN_URL), apps: stringMap(hms, 'apps', 'hms.') } }
      : {}),
    ...(fcm && isObject(account)
      ? {
          fcm: {
            serviceAccount: account as NonNullable<FcmCredential['serviceAccount']>,
            projectNumber: text(fcm, 'projectNumber', 'fcm.'),
          },
        }
      : {}),
  };
}

export function readAuthServerConfig(file: string): AuthServerConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new AuthServerConfigError(`cannot read ${file}: ${(err as Error).message}`);
  }
  return parseAuthServerConfig(raw);
}
