/** Everything an app's backend can hear of (docs/events.md). */
export const EVENT_TYPES = [
  'call.created',
  'call.answered',
  'call.declined',
  'call.timed_out',
  'call.cancelled',
  'call.ended',
  'delivery.sent',
  'delivery.received',
  'delivery.failed',
  'device.pruned',
  'credential.misconfigured',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** One event as the change that caused it records it: written to the outbox in the same transaction. */
export interface EventRecord {
  appKey: string;
  type: EventType;
  /**
   * What the event is about: the call id for call and delivery events, `device:<userId>/<deviceId>`,
   * `credential:<name>`. An endpoint receives the events of one subject in the order they were written.
   */
  subject: string;
  /** Epoch ms the change happened. */
  at: number;
  data: Record<string, unknown>;
}
