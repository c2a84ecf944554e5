import { describe, expect, it } from 'vitest';
import type { Call, CallState } from '../../../../src/domain/calls/model.js';
import {
  type CallEvent,
  isRinging,
  settledByRefusals,
  transition,
} from '../../../../src/domain/calls/state-machine.js';
import { Conflict } from '../../../../src/kernel/errors.js';
import { aCall, T0 } from '../../fixtures.js';

const NOW = T0 + 5_000;
const answer = (userId: string, deviceId = `${userId}-phone`): CallEvent => ({ type: 'answer', userId, deviceId });
const decline = (userId: string): CallEvent => ({ type: 'decline', userId });
const CANCEL: CallEvent = { type: 'cancel' };
const TIMEOUT: CallEvent = { type: 'timeout' };
const END: CallEvent = { type: 'end' };

function refusal(call: Call, event: CallEvent): unknown {
  try {
    transition(call, event, NOW);
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('transition: one callee', () => {
  it('answer: ringing → answered, remembers who answered, cancels the other devices of that callee', () => {
    const { call, cancels } = transition(aCall(), answer('bob', 'iphone'), NOW);
    expect(call.state).toBe('answered');
    expect(call.callees.bob).toBe('answered');
    expect(call.answeredBy).toEqual({ userId: 'bob', deviceId: 'iphone' });
    expect(call.endReason).toBeUndefined();
    expect(cancels).toEqual([{ userIds: ['bob'], exceptDeviceId: 'iphone', reason: 'answered_elsewhere' }]);
  });

  it('decline: the only callee declining declines the call', () => {
    const { call, cancels } = transition(aCall(), decline('bob'), NOW);
    expect(call.state).toBe('declined');
    expect(call.endReason).toBe('declined');
    expect(cancels).toEqual([{ userIds: ['bob'], reason: 'declined' }]);
  });

  it('cancel: ringing → cancelled by the caller, every ringing callee stops', () => {
    const { call, cancels } = transition(aCall(), CANCEL, NOW);
    expect(call.state).toBe('cancelled');
    expect(call.endReason).toBe('caller_cancelled');
    expect(cancels).toEqual([{ userIds: ['bob'], reason: 'caller_cancelled' }]);
  });

  it('timeout: ringing → timed_out, the unanswered callee stops', () => {
    const { call, cancels } = transition(aCall(), TIMEOUT, NOW);
    expect(call.state).toBe('timed_out');
    expect(call.endReason).toBe('timeout');
    expect(cancels).toEqual([{ userIds: ['bob'], reason: 'timeout' }]);
  });

  it('timeout of an answered call leaves it answered and orders no cancel when nobody still rings', () => {
    const answered = aCall({ state: 'answered', callees: { bob: 'answered' } });
    const { call, cancels } = transition(answered, TIMEOUT, NOW);
    expect(call.state).toBe('answered');
    expect(call.endReason).toBeUndefined();
    expect(cancels).toEqual([]);
  });

  it('end: answered → ended', () => {
    const answered = aCall({ state: 'answered', callees: { bob: 'answered' } });
    const { call, cancels } = transition(answered, END, NOW);
    expect(call.state).toBe('ended');
    expect(call.endReason).toBe('ended');
    // Nobody is ringing any more: no callee is named for a cancel.
    expect(cancels.flatMap((c) => c.userIds)).toEqual([]);
  });

  it('stamps updatedAt and never changes the call it was given', () => {
    const before = aCall();
    const copy = structuredClone(before);
    const { call } = transition(before, answer('bob'), NOW);
    expect(call.updatedAt).toBe(NOW);
    expect(before).toEqual(copy);
    expect(call.callees).not.toBe(before.callees);
  });
});

describe('transition: refusals', () => {
  const closed: CallState[] = ['declined', 'cancelled', 'timed_out', 'ended'];
  const everyEvent: CallEvent[] = [answer('bob'), decline('bob'), CANCEL, TIMEOUT, END];

  const cases: Array<[string, Call, CallEvent]> = [
    ...closed.flatMap((state) =>
      everyEvent.map((event): [string, Call, CallEvent] => [
        `${event.type} on a ${state} call`,
        aCall({ state, callees: { bob: state === 'declined' ? 'declined' : 'ringing' } }),
        event,
      ]),
    ),
    ['end on a ringing call', aCall(), END],
    ['cancel on an answered call', aCall({ state: 'answered', callees: { bob: 'answered' } }), CANCEL],
    ['a second answer by the same callee', aCall({ state: 'answered', callees: { bob: 'answered' } }), answer('bob')],
    ['a decline after answering', aCall({ state: 'answered', callees: { bob: 'answered' } }), decline('bob')],
    ['an answer by someone not called', aCall(), answer('mallory')],
    ['a decline by someone not called', aCall(), decline('mallory')],
    ['an answer by a callee who declined', aCall({ callees: { bob: 'declined', carol: 'ringing' } }), answer('bob')],
  ];

  it.each(cases)('refuses %s with Conflict invalid_transition', (_name, call, event) => {
    const err = refusal(call, event);
    expect(err).toBeInstanceOf(Conflict);
    expect((err as Conflict).code).toBe('invalid_transition');
  });

  it('says which state refused the transition', () => {
    expect((refusal(aCall({ state: 'ended' }), CANCEL) as Error).message).toContain('ended');
  });
});

describe('transition: group calls', () => {
  const group = () => aCall({ callees: { bob: 'ringing', carol: 'ringing', dave: 'ringing' } });

  it('one callee answering answers the call; the others keep ringing', () => {
    const { call, cancels } = transition(group(), answer('carol', 'tablet'), NOW);
    expect(call.state).toBe('answered');
    expect(call.callees).toEqual({ bob: 'ringing', carol: 'answered', dave: 'ringing' });
    expect(cancels).toEqual([{ userIds: ['carol'], exceptDeviceId: 'tablet', reason: 'answered_elsewhere' }]);
    expect(isRinging(call, 'bob')).toBe(true);
    expect(isRinging(call, 'carol')).toBe(false);
  });

  it('a second callee may still answer; the first answer stays the one recorded', () => {
    const first = transition(group(), answer('carol', 'tablet'), NOW).call;
    const { call, cancels } = transition(first, answer('bob', 'watch'), NOW + 1);
    expect(call.state).toBe('answered');
    expect(call.answeredBy).toEqual({ userId: 'carol', deviceId: 'tablet' });
    expect(cancels).toEqual([{ userIds: ['bob'], exceptDeviceId: 'watch', reason: 'answered_elsewhere' }]);
  });

  it('one decline only stops that callee; the call is declined when the last one declines', () => {
    let call = group();
    for (const user of ['bob', 'carol']) {
      const t = transition(call, decline(user), NOW);
      expect(t.call.state).toBe('ringing');
      expect(t.cancels).toEqual([{ userIds: [user], reason: 'declined' }]);
      call = t.call;
    }
    const last = transition(call, decline('dave'), NOW);
    expect(last.call.state).toBe('declined');
    expect(last.call.endReason).toBe('declined');
  });

  it('a decline after another callee answered leaves the call answered', () => {
    const answered = transition(group(), answer('bob'), NOW).call;
    const afterCarol = transition(answered, decline('carol'), NOW).call;
    const { call } = transition(afterCarol, decline('dave'), NOW);
    expect(call.state).toBe('answered');
    expect(call.endReason).toBeUndefined();
  });

  it('timeout with one callee answered: the call stays answered, only those still ringing stop', () => {
    const answered = aCall({ state: 'answered', callees: { bob: 'answered', carol: 'ringing', dave: 'declined' } });
    const { call, cancels } = transition(answered, TIMEOUT, NOW);
    expect(call.state).toBe('answered');
    expect(call.callees.carol).toBe('ringing');
    expect(cancels).toEqual([{ userIds: ['carol'], reason: 'timeout' }]);
  });

  it('timeout of a ringing group stops the ringing callees, not the ones who declined', () => {
    const ringing = aCall({ callees: { bob: 'declined', carol: 'ringing', dave: 'ringing' } });
    const { call, cancels } = transition(ringing, TIMEOUT, NOW);
    expect(call.state).toBe('timed_out');
    expect(cancels).toEqual([{ userIds: ['carol', 'dave'], reason: 'timeout' }]);
  });

  it('cancel stops only the callees still ringing', () => {
    const ringing = aCall({ callees: { bob: 'declined', carol: 'ringing' } });
    expect(transition(ringing, CANCEL, NOW).cancels).toEqual([{ userIds: ['carol'], reason: 'caller_cancelled' }]);
  });

  it('end stops the callees who never answered', () => {
    const answered = aCall({ state: 'answered', callees: { bob: 'answered', carol: 'ringing', dave: 'declined' } });
    expect(transition(answered, END, NOW).cancels).toEqual([{ userIds: ['carol'], reason: 'ended' }]);
  });
});

describe('isRinging', () => {
  const cases: Array<[CallState, Call['callees'][string], boolean]> = [
    ['ringing', 'ringing', true],
    ['answered', 'ringing', true],
    ['ringing', 'declined', false],
    ['answered', 'answered', false],
    ['cancelled', 'ringing', false],
    ['timed_out', 'ringing', false],
    ['declined', 'ringing', false],
    ['ended', 'ringing', false],
  ];

  it.each(cases)('call %s, callee %s → %s', (state, callee, expected) => {
    expect(isRinging(aCall({ state, callees: { bob: callee } }), 'bob')).toBe(expected);
  });

  it('is false for a user who is not a callee', () => {
    expect(isRinging(aCall(), 'mallory')).toBe(false);
  });
});

describe('transition: busy and missed calls', () => {
  const group = () => aCall({ callees: { bob: 'ringing', carol: 'ringing' } });
  const busy = (userId: string): CallEvent => ({ type: 'decline', userId, reason: 'busy' });

  it('a busy decline records the callee busy and stops its devices with reason busy', () => {
    const { call, cancels } = transition(aCall(), busy('bob'), NOW);
    expect(call.callees.bob).toBe('busy');
    expect(call.state).toBe('busy');
    expect(call.endReason).toBe('busy');
    expect(cancels).toEqual([{ userIds: ['bob'], reason: 'busy' }]);
  });

  it('a group call is busy only when every callee is; declined when some declined and the rest were busy', () => {
    const first = transition(group(), busy('bob'), NOW).call;
    expect(first.state).toBe('ringing');
    expect(transition(first, busy('carol'), NOW + 1).call.state).toBe('busy');
    expect(transition(first, decline('carol'), NOW + 1).call.state).toBe('declined');
  });

  it('settledByRefusals is undefined while someone may still answer', () => {
    expect(settledByRefusals(aCall({ callees: { bob: 'busy', carol: 'ringing' } }))).toBeUndefined();
    expect(settledByRefusals(aCall({ callees: { bob: 'busy', carol: 'answered' } }))).toBeUndefined();
  });

  it('a timeout nobody answered is missed by the callees still ringing, not by those who declined', () => {
    const declinedByBob = transition(group(), decline('bob'), NOW).call;
    const { missed } = transition(declinedByBob, TIMEOUT, NOW + 1);
    expect(missed).toEqual({ userIds: ['carol'], reason: 'timeout' });
  });

  it('a caller cancel before an answer is missed by every ringing callee', () => {
    expect(transition(group(), CANCEL, NOW).missed).toEqual({ userIds: ['bob', 'carol'], reason: 'caller_cancelled' });
  });

  it('a group call someone answered is not missed by the others when it times out', () => {
    const answered = transition(group(), answer('bob'), NOW).call;
    const { missed, cancels } = transition(answered, TIMEOUT, NOW + 1);
    expect(missed).toBeUndefined();
    expect(cancels).toEqual([{ userIds: ['carol'], reason: 'timeout' }]);
  });

  it('answer, decline and end order no missed notice', () => {
    expect(transition(aCall(), answer('bob'), NOW).missed).toBeUndefined();
    expect(transition(aCall(), decline('bob'), NOW).missed).toBeUndefined();
  });
});
