import { describe, expect, it } from 'vitest';
import { BehaviourError, BehaviourStore, parseBehaviourRequest } from '../src/core/behaviours.js';

describe('scripted behaviours', () => {
  it('applies `unavailable` to the next request only unless a count is given', () => {
    const store = new BehaviourStore();
    store.set('t1', { kind: 'unavailable' });
    expect(store.consume('t1').failure?.kind).toBe('unavailable');
    expect(store.consume('t1').failure).toBeUndefined();
    store.set('t2', { kind: 'unavailable', count: 2 });
    expect(store.consume('t2').failure?.kind).toBe('unavailable');
    expect(store.consume('t2').failure?.kind).toBe('unavailable');
    expect(store.consume('t2').failure).toBeUndefined();
  });

  it('keeps uncounted behaviours until cleared and combines latency with a failure', () => {
    const store = new BehaviourStore();
    store.set('t', { kind: 'latency', ms: 50 });
    store.set('t', { kind: 'unregistered' });
    for (let i = 0; i < 3; i++)
      expect(store.consume('t')).toEqual({ latencyMs: 50, failure: { kind: 'unregistered' } });
    store.clear('t');
    expect(store.consume('t')).toEqual({ latencyMs: 0 });
  });

  it('rejects malformed requests naming the field', () => {
    expect(() => parseBehaviourRequest({ token: 'x', behaviour: 'explode' })).toThrow(BehaviourError);
    expect(() => parseBehaviourRequest({ token: 'x', behaviour: 'latency', ms: -1 })).toThrow(
      expect.objectContaining({ field: 'ms' }),
    );
    expect(parseBehaviourRequest({ token: 'x', behaviour: 'rate_limited', retryAfterSeconds: 7 })).toEqual({
      token: 'x',
      behaviour: { kind: 'rate_limited', retryAfterSeconds: 7 },
    });
  });
});
