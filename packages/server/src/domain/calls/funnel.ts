import type { Delivery } from './model.js';

/**
 * The milestones of a delivery, in the order a ring goes through them (docs/history.md): `accepted` with the
 * call, `sent` (first handed to the provider, or written to the socket), `provider_accepted` (the provider took
 * the push, with its message id), `provider_delivered` (the provider's own delivery receipt says it reached the
 * device: HMS receipts), `received` (the device's receipt), `answered` or `declined` on this device.
 */
export type Milestone =
  | 'accepted'
  | 'sent'
  | 'provider_accepted'
  | 'provider_delivered'
  | 'received'
  | 'answered'
  | 'declined';

export interface FunnelStep {
  milestone: Milestone;
  at: number;
  /** The provider's message id, on `provider_accepted` when the provider gave one. */
  providerId?: string;
}

/** The milestones a delivery reached, each with its time; a milestone not reached is absent. */
export function funnelOf(d: Delivery): FunnelStep[] {
  const steps: FunnelStep[] = [{ milestone: 'accepted', at: d.createdAt }];
  if (d.firstAttemptAt !== undefined) steps.push({ milestone: 'sent', at: d.firstAttemptAt });
  // Over a socket `sentAt` is the write, not a provider's answer; after a fallback a failed push keeps the
  // socket's `sentAt`, so only a push whose last outcome is `sent` was taken by the provider (or `undelivered`:
  // taken, then reported lost by the provider's delivery receipt).
  const taken = d.outcome === 'sent' || d.outcome === 'undelivered';
  if (d.transport === 'push' && taken && d.sentAt !== undefined) {
    steps.push({ milestone: 'provider_accepted', at: d.sentAt, ...(d.providerId ? { providerId: d.providerId } : {}) });
  }
  if (d.providerReceipt?.kind === 'delivered')
    steps.push({ milestone: 'provider_delivered', at: d.providerReceipt.at });
  if (d.receivedAt !== undefined) steps.push({ milestone: 'received', at: d.receivedAt });
  if (d.acted !== undefined && d.actedAt !== undefined) steps.push({ milestone: d.acted, at: d.actedAt });
  return steps;
}
