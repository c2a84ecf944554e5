import { randomBytes } from 'node:crypto';
import { fingerprint } from '#infra/crypto';
import type { EventType } from './event-types.js';

/** An app's event endpoint with its secrets opened: what signing and the API's view are made from. */
export interface EventEndpoint {
  appKey: string;
  url: string;
  /** The types sent; undefined: every type, also those added later. */
  events: EventType[] | undefined;
  secret: string;
  /** The secret before the last rotation, valid and signing too until `previousUntil`. */
  previous: { secret: string; until: number } | undefined;
  disabled: { at: number; reason: string } | undefined;
  createdAt: number;
  updatedAt: number;
}

/** The endpoint as `GET .../webhooks/events` shows it: fingerprints, never a secret. */
export interface EventEndpointView {
  url: string;
  events: EventType[] | null;
  disabled: boolean;
  disabledAt?: number;
  disabledReason?: string;
  secretFingerprint: string;
  previousSecretFingerprint?: string;
  previousSecretValidUntil?: number;
  createdAt: number;
  updatedAt: number;
}

/** A Standard Webhooks signing secret: `whsec_` and the base64 of 32 random bytes (the spec asks 24 to 64). */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** The secrets that sign at `now`: the current one, and the previous one during its overlap. */
export function signingSecrets(endpoint: EventEndpoint, now: number): string[] {
  const { previous } = endpoint;
  return previous && previous.until > now ? [endpoint.secret, previous.secret] : [endpoint.secret];
}

export function subscribes(events: readonly EventType[] | undefined, type: EventType): boolean {
  return events === undefined || events.includes(type);
}

export function endpointView(endpoint: EventEndpoint, now: number): EventEndpointView {
  const { previous, disabled } = endpoint;
  return {
    url: endpoint.url,
    events: endpoint.events ?? null,
    disabled: disabled !== undefined,
    ...(disabled ? { disabledAt: disabled.at, disabledReason: disabled.reason } : {}),
    secretFingerprint: fingerprint(endpoint.secret),
    ...(previous && previous.until > now
      ? { previousSecretFingerprint: fingerprint(previous.secret), previousSecretValidUntil: previous.until }
      : {}),
    createdAt: endpoint.createdAt,
    updatedAt: endpoint.updatedAt,
  };
}
