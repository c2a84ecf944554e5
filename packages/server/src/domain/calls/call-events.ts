import type { Kysely } from 'kysely';
import type { EventRecord, EventSink, EventType } from '#domain/events';
import type { Database } from '#infra/store';
import type { Call, Delivery, DeliveryPatch } from './model.js';
import type { CallEvent } from './state-machine.js';

/** Writes that go into the transaction of a change: its events, and whatever else must commit with it. */
export type AlsoWrite = (db: Kysely<Database>) => Promise<void>;

/** The call as its events carry it (docs/events.md). */
export function callData(call: Call): Record<string, unknown> {
  return {
    callId: call.id,
    state: call.state,
    from: call.from,
    to: Object.keys(call.callees),
    callees: call.callees,
    ...(call.endReason !== undefined ? { endReason: call.endReason } : {}),
    ...(call.answeredBy ? { answeredBy: call.answeredBy } : {}),
    ...(call.test ? { test: true } : {}),
    createdAt: call.createdAt,
    updatedAt: call.updatedAt,
  };
}

const callEvent = (call: Call, type: EventType, extra: Record<string, unknown> = {}): EventRecord => ({
  appKey: call.appKey,
  type,
  subject: call.id,
  at: call.updatedAt,
  data: { ...callData(call), ...extra },
});

/** A new call: created, and declined at once by each callee who was busy (rejectWhenBusy). */
export function createdEvents(call: Call): EventRecord[] {
  const busy = Object.keys(call.callees).filter((u) => call.callees[u] === 'busy');
  return [
    callEvent(call, 'call.created'),
    ...busy.map((userId) => callEvent(call, 'call.declined', { userId, reason: 'busy' })),
  ];
}

/** What one transition of a call reports. */
export function transitionEvents(next: Call, event: CallEvent): EventRecord[] {
  switch (event.type) {
    case 'answer':
      return [callEvent(next, 'call.answered', { userId: event.userId, deviceId: event.deviceId })];
    case 'decline':
      return [callEvent(next, 'call.declined', { userId: event.userId, reason: event.reason ?? 'declined' })];
    case 'cancel':
      return [callEvent(next, 'call.cancelled')];
    case 'timeout':
      // An answered group call whose other callees stop ringing did not time out.
      return next.state === 'timed_out' ? [callEvent(next, 'call.timed_out')] : [];
    case 'end':
      return [callEvent(next, 'call.ended')];
  }
}

/** The delivery event a stored change of a delivery reports: sent, received, or failed (expired included). */
export function deliveryEvents(d: Delivery, patch: DeliveryPatch, at: number): EventRecord[] {
  const type: EventType | undefined =
    patch.state === 'sent'
      ? 'delivery.sent'
      : patch.state === 'received'
        ? 'delivery.received'
        : patch.state === 'failed' || patch.state === 'expired'
          ? 'delivery.failed'
          : undefined;
  if (!type) return [];
  const data = {
    callId: d.callId,
    deliveryId: d.id,
    type: d.type,
    userId: d.userId,
    deviceId: d.deviceId,
    provider: d.provider,
    providerType: d.providerType,
    transport: patch.transport ?? d.transport,
    attempts: patch.attempts ?? d.attempts,
    ...(patch.outcome !== undefined ? { outcome: patch.outcome } : {}),
    ...(type === 'delivery.failed' && patch.detail ? { reason: patch.detail } : {}),
    ...(patch.providerId !== undefined ? { providerId: patch.providerId } : {}),
  };
  return [{ appKey: d.appKey, type, subject: d.callId, at, data }];
}

/** A device whose dead token was removed. */
export const prunedEvent = (d: Delivery, reason: string, at: number): EventRecord => ({
  appKey: d.appKey,
  type: 'device.pruned',
  subject: `device:${d.userId}/${d.deviceId}`,
  at,
  data: { userId: d.userId, deviceId: d.deviceId, provider: d.provider, providerType: d.providerType, reason },
});

/** A credential a provider refused to deliver with (wrong key, project, topic, ...). */
export const misconfiguredEvent = (d: Delivery, reason: string, at: number): EventRecord => ({
  appKey: d.appKey,
  type: 'credential.misconfigured',
  subject: `credential:${d.provider}`,
  at,
  data: { provider: d.provider, providerType: d.providerType, reason },
});

/**
 * Records events with the change they report: only those the app's endpoint wants (an app without one costs
 * a cache lookup), written by the change's own transaction, and the deliverer nudged once it committed.
 */
export class EventLog {
  constructor(private readonly sink: EventSink) {}

  async around<T>(events: EventRecord[], change: (also: AlsoWrite | undefined) => Promise<T>): Promise<T> {
    const wanted = await this.wanted(events);
    if (wanted.length === 0) return change(undefined);
    const result = await change(this.writerOf(wanted));
    this.sink.written();
    return result;
  }

  /** Whether the app wants one type at all: for a change whose events are only known inside its transaction. */
  wants(appKey: string, type: EventType): Promise<boolean> {
    return this.sink.wants(appKey, type);
  }

  /** Writes `events` as they are (already wanted); call `written()` once the change committed. */
  writerOf(events: EventRecord[]): AlsoWrite {
    return (db) => this.sink.write(db, events);
  }

  written(): void {
    this.sink.written();
  }

  private async wanted(events: EventRecord[]): Promise<EventRecord[]> {
    if (events.length === 0) return events;
    const keep = await Promise.all(events.map((e) => this.sink.wants(e.appKey, e.type)));
    return events.filter((_, i) => keep[i]);
  }
}
