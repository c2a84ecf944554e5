import { describe, expect, it } from 'vitest';
import { createdEvents, deliveryEvents, EventLog, transitionEvents } from '../../../../src/domain/calls/call-events.js';
import type { EventRecord, EventSink, EventType } from '../../../../src/domain/events/index.js';
import { aCall, aDelivery, T0 } from '../../fixtures.js';

describe('call events', () => {
  it('a new call is created; each callee busy at placement declined it as busy', () => {
    const events = createdEvents(aCall({ callees: { bob: 'busy', carol: 'ringing' } }));
    expect(events.map((e) => `${e.type}:${e.data.userId ?? ''}:${e.data.reason ?? ''}`)).toEqual([
      'call.created::',
      'call.declined:bob:busy',
    ]);
    for (const e of events) expect(e).toMatchObject({ appKey: 'app1', subject: 'c_call1' });
  });

  it('each transition reports what happened, with who and why', () => {
    const answered = aCall({ state: 'answered', callees: { bob: 'answered' }, updatedAt: T0 + 5 });
    expect(transitionEvents(answered, { type: 'answer', userId: 'bob', deviceId: 'pixel' })).toEqual([
      expect.objectContaining({
        type: 'call.answered',
        at: T0 + 5,
        data: expect.objectContaining({ userId: 'bob', deviceId: 'pixel', state: 'answered' }),
      }),
    ]);
    const busy = transitionEvents(aCall({ state: 'busy' }), { type: 'decline', userId: 'bob', reason: 'busy' });
    expect(busy[0]).toMatchObject({ type: 'call.declined', data: { reason: 'busy', state: 'busy' } });
    expect(transitionEvents(aCall({ state: 'cancelled' }), { type: 'cancel' })[0]!.type).toBe('call.cancelled');
    expect(transitionEvents(aCall({ state: 'ended' }), { type: 'end' })[0]!.type).toBe('call.ended');
    expect(transitionEvents(aCall({ state: 'timed_out' }), { type: 'timeout' })[0]!.type).toBe('call.timed_out');
  });

  it('an answered group call whose other callees stop ringing did not time out', () => {
    expect(transitionEvents(aCall({ state: 'answered' }), { type: 'timeout' })).toEqual([]);
  });

  it('delivery outcomes: sent with the provider id, failed with the reason, nothing for a retry', () => {
    const d = aDelivery();
    expect(
      deliveryEvents(d, { state: 'sent', outcome: 'sent', providerId: 'projects/p/messages/1' }, T0)[0],
    ).toMatchObject({
      type: 'delivery.sent',
      subject: d.callId,
      data: { deliveryId: d.id, providerId: 'projects/p/messages/1', type: 'ring', deviceId: 'pixel' },
    });
    const failed = deliveryEvents(
      d,
      { state: 'expired', outcome: 'retry', detail: 'next retry past the deadline' },
      T0,
    );
    expect(failed[0]).toMatchObject({ type: 'delivery.failed', data: { reason: 'next retry past the deadline' } });
    expect(deliveryEvents(d, { state: 'pending', nextAttemptAt: T0 + 100 }, T0)).toEqual([]);
    expect(deliveryEvents(d, { lease: 'release' }, T0)).toEqual([]);
  });
});

describe('EventLog', () => {
  function sink(wanted: EventType[]) {
    const written: EventRecord[][] = [];
    let nudges = 0;
    const s: EventSink = {
      wants: async (_app, type) => wanted.includes(type),
      write: async (_db, events) => {
        written.push(events);
      },
      written: () => {
        nudges++;
      },
    };
    return { s, written, nudges: () => nudges };
  }
  const events = createdEvents(aCall({ callees: { bob: 'busy' } }));

  it('passes no write to a change nobody listens to, and nudges nobody', async () => {
    const { s, nudges } = sink([]);
    const seen = await new EventLog(s).around(events, async (also) => also);
    expect(seen).toBeUndefined();
    expect(nudges()).toBe(0);
  });

  it('writes only the wanted events, through the change, and nudges the deliverer after it', async () => {
    const { s, written, nudges } = sink(['call.declined']);
    const order: string[] = [];
    await new EventLog(s).around(events, async (also) => {
      await also?.({} as never);
      order.push(`change done, nudged ${nudges()}`);
    });
    expect(written).toEqual([[expect.objectContaining({ type: 'call.declined' })]]);
    expect(order).toEqual(['change done, nudged 0']);
    expect(nudges()).toBe(1);
  });

  it('a change that fails is not reported as written', async () => {
    const { s, nudges } = sink(['call.created']);
    await expect(new EventLog(s).around(events, async () => Promise.reject(new Error('db down')))).rejects.toThrow(
      'db down',
    );
    expect(nudges()).toBe(0);
  });
});
