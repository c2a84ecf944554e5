import type { PushOutcome } from '#providers';
import type { Delivery, DeliveryPatch } from '../model.js';
import { backoff } from './backoff.js';

/** What one push outcome means for its delivery. */
export interface Settlement {
  /**
   * What to store. `nextAttemptAt` is set only for a transient failure whose retry still fits before the
   * deadline: the delivery stays owed until then.
   */
  patch: DeliveryPatch;
  /** The token is dead: the device goes (unless it was re-registered since the send started). */
  prune?: true;
}

/**
 * Settles a delivery after one push: `startedAt` is when the attempt began, `now` when its outcome came.
 * Every outcome but a retry that fits ends the delivery and releases its lease. Pure: the caller stores it.
 */
export function settle(
  d: Delivery,
  outcome: PushOutcome,
  now: number,
  startedAt: number,
  random: () => number = Math.random,
): Settlement {
  const attempts = d.attempts + 1;
  const base = { attempts, firstAttemptAt: d.firstAttemptAt ?? startedAt, outcome: outcome.kind };
  const done = { ...base, lease: 'release' as const };
  switch (outcome.kind) {
    case 'sent':
      return {
        patch: {
          ...done,
          state: 'sent',
          sentAt: now,
          detail: outcome.providerId ?? '',
          ...(outcome.providerId !== undefined ? { providerId: outcome.providerId } : {}),
        },
      };
    case 'retry': {
      // Whole milliseconds, rounded up: the time is stored (an integer column) and must not come early.
      const nextAttemptAt = Math.ceil(now + (outcome.retryAfterMs ?? backoff(attempts, random)));
      if (nextAttemptAt >= d.deadline) {
        return { patch: { ...done, state: 'expired', detail: `next retry past the deadline (${outcome.reason})` } };
      }
      return { patch: { ...base, state: 'pending', detail: outcome.reason, nextAttemptAt } };
    }
    case 'token_gone':
      return { patch: { ...done, state: 'failed', detail: outcome.reason }, prune: true };
    case 'config_error':
      return { patch: { ...done, state: 'failed', detail: outcome.reason } };
    case 'skipped':
      return { patch: { ...done, state: 'skipped', detail: outcome.reason } };
  }
}
