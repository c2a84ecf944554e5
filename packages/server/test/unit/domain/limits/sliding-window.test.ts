import { describe, expect, it } from 'vitest';
import {
  isOver,
  positionAt,
  retryAfterSeconds,
  verdictOf,
  WINDOW_MS,
  type WindowCounts,
} from '../../../../src/domain/limits/sliding-window.js';

describe('positionAt', () => {
  it('places a time in its fixed minute, with the share of the previous minute still covered', () => {
    const p = positionAt(7 * WINDOW_MS + 15_000);
    expect(p.index).toBe(7);
    expect(p.elapsedMs).toBe(15_000);
    expect(p.previousWeight).toBeCloseTo(0.75);
  });

  it('at the start of a minute the previous one still counts in full', () => {
    expect(positionAt(3 * WINDOW_MS).previousWeight).toBe(1);
  });
});

describe('isOver', () => {
  const cases: Array<[string, number, WindowCounts, number, boolean]> = [
    ['room left in an empty window', 5, { current: 0, previous: 0 }, 1, false],
    ['the last call that fits', 5, { current: 4, previous: 0 }, 1, false],
    ['one past the limit', 5, { current: 5, previous: 0 }, 1, true],
    ['a full previous minute still fully covered', 5, { current: 0, previous: 5 }, 1, true],
    ['a full previous minute half slid out', 5, { current: 0, previous: 5 }, 0.5, false],
    ['the weighted tail plus the current window', 5, { current: 2, previous: 4 }, 0.75, true],
    ['a limit of 0 is no limit', 0, { current: 1_000, previous: 1_000 }, 1, false],
  ];

  it.each(cases)('%s', (_name, limit, counts, weight, expected) => {
    expect(isOver(limit, counts, weight)).toBe(expected);
  });
});

describe('retryAfterSeconds', () => {
  /** The counts a fixed window sees `later` ms after a position, if nothing is admitted meanwhile. */
  function overAt(limit: number, counts: WindowCounts, now: number, later: number): boolean {
    const start = positionAt(now);
    const then = positionAt(now + later);
    const moved = then.index - start.index;
    const c =
      moved === 0 ? counts : moved === 1 ? { current: 0, previous: counts.current } : { current: 0, previous: 0 };
    return isOver(limit, c, then.previousWeight);
  }

  const cases: Array<[number, WindowCounts, number]> = [];
  for (const limit of [1, 2, 3, 5, 10]) {
    for (const previous of [0, 1, 4, 9, 25]) {
      for (const current of [0, 1, limit - 1, limit, limit + 2]) {
        for (const elapsed of [0, 1_234, 29_999, 45_500, 59_999]) {
          cases.push([limit, { current, previous }, elapsed]);
        }
      }
    }
  }

  it('is the whole seconds until one more call fits: not sooner, and no more than a second late', () => {
    let checked = 0;
    for (const [limit, counts, elapsed] of cases) {
      const now = 100 * WINDOW_MS + elapsed;
      if (!overAt(limit, counts, now, 0)) continue;
      const wait = retryAfterSeconds(limit, counts, elapsed);
      expect(wait, `limit ${limit} ${JSON.stringify(counts)} at +${elapsed}`).toBeGreaterThanOrEqual(1);
      // Allowed right after the announced wait...
      expect(overAt(limit, counts, now, wait * 1000 + 1), `allowed after ${wait} s`).toBe(false);
      // ...and still refused a second before it (the wait is not padded).
      if (wait > 1) expect(overAt(limit, counts, now, (wait - 1) * 1000 - 1), `refused before ${wait} s`).toBe(true);
      checked++;
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('a full current window waits for it to become the previous one and decay', () => {
    // Limit 1, one call at the very start of a minute: the next fits only when that minute has fully slid out.
    expect(retryAfterSeconds(1, { current: 1, previous: 0 }, 0)).toBe(120);
  });
});

describe('verdictOf', () => {
  const position = positionAt(10 * WINDOW_MS + 30_000);
  const empty = { current: 0, previous: 0 };
  const full = (n: number) => ({ current: n, previous: 0 });

  it('allows when neither scope is over', () => {
    expect(verdictOf({ app: 10, caller: 3 }, { app: full(5), caller: full(2) }, position)).toEqual({ allowed: true });
  });

  it('names the scope that is over', () => {
    const v = verdictOf({ app: 10, caller: 3 }, { app: full(5), caller: full(3) }, position);
    expect(v.allowed).toBe(false);
    expect(!v.allowed && v.scope).toBe('caller');
  });

  it('when both are over, reports the longer wait', () => {
    const limits = { app: 10, caller: 1 };
    // The app's minute is full of calls; the caller's only call came in the previous minute, half slid out.
    const counts = { app: full(10), caller: { current: 0, previous: 1 } };
    const v = verdictOf(limits, counts, position);
    const appWait = retryAfterSeconds(10, counts.app, position.elapsedMs);
    const callerWait = retryAfterSeconds(1, counts.caller, position.elapsedMs);
    expect(appWait).toBeGreaterThan(callerWait);
    expect(v).toEqual({ allowed: false, scope: 'app', retryAfterSeconds: appWait });
  });

  it('a limit turned off never refuses', () => {
    expect(verdictOf({ app: 0, caller: 0 }, { app: full(99), caller: full(99) }, position).allowed).toBe(true);
    expect(verdictOf({ app: 0, caller: 2 }, { app: full(99), caller: empty }, position).allowed).toBe(true);
  });
});
