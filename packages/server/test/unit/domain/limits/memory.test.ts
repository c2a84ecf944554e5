import { describe, expect, it } from 'vitest';
import { MemoryCallRateLimiter } from '../../../../src/domain/limits/memory.js';
import { WINDOW_MS } from '../../../../src/domain/limits/sliding-window.js';

/** A limiter on a clock the test moves. */
function limiter(limits: { app: number; caller: number }, start = 1_000 * WINDOW_MS) {
  let now = start;
  const l = new MemoryCallRateLimiter(limits, () => now);
  return {
    l,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('MemoryCallRateLimiter', () => {
  it('admits up to the per-caller limit, then refuses that caller with the caller scope', async () => {
    const { l } = limiter({ app: 100, caller: 3 });
    for (let i = 0; i < 3; i++) expect((await l.check('app1', 'alice')).allowed).toBe(true);
    const v = await l.check('app1', 'alice');
    expect(v.allowed).toBe(false);
    expect(!v.allowed && v.scope).toBe('caller');
  });

  it('counts callers apart, and the same caller name apart in each app', async () => {
    const { l } = limiter({ app: 100, caller: 1 });
    expect((await l.check('app1', 'alice')).allowed).toBe(true);
    expect((await l.check('app1', 'bob')).allowed).toBe(true);
    expect((await l.check('app2', 'alice')).allowed).toBe(true);
    expect((await l.check('app1', 'alice')).allowed).toBe(false);
  });

  it('keeps app and caller apart even when their names would concatenate alike', async () => {
    const { l } = limiter({ app: 100, caller: 1 });
    expect((await l.check('a', 'b/c')).allowed).toBe(true);
    expect((await l.check('a/b', 'c')).allowed).toBe(true);
  });

  it('the app limit covers every caller of the app', async () => {
    const { l } = limiter({ app: 2, caller: 10 });
    expect((await l.check('app1', 'alice')).allowed).toBe(true);
    expect((await l.check('app1', 'bob')).allowed).toBe(true);
    const v = await l.check('app1', 'carol');
    expect(!v.allowed && v.scope).toBe('app');
    expect((await l.check('app2', 'carol')).allowed).toBe(true);
  });

  it('a refused call does not count: the caller gets in once the announced wait has passed', async () => {
    const { l, advance } = limiter({ app: 0, caller: 2 });
    await l.check('app1', 'alice');
    await l.check('app1', 'alice');
    const refused = await l.check('app1', 'alice');
    if (refused.allowed) throw new Error('expected a refusal');
    for (let i = 0; i < 5; i++) expect((await l.check('app1', 'alice')).allowed).toBe(false);
    advance(refused.retryAfterSeconds * 1000 + 1);
    expect((await l.check('app1', 'alice')).allowed).toBe(true);
  });

  it('the previous minute still weighs on the current one (sliding, not fixed, window)', async () => {
    const { l, advance } = limiter({ app: 0, caller: 4 });
    for (let i = 0; i < 4; i++) await l.check('app1', 'alice');
    // 14 s into the next fixed minute the previous one weighs 46/60: 4 × 0.77 + 1 > 4.
    advance(WINDOW_MS + 14_000);
    expect((await l.check('app1', 'alice')).allowed).toBe(false);
    // 16 s in it weighs 44/60: 4 × 0.73 + 1 ≤ 4.
    advance(2_000);
    expect((await l.check('app1', 'alice')).allowed).toBe(true);
  });

  it('a limit of 0 is off and keeps no state for it', async () => {
    const { l } = limiter({ app: 0, caller: 0 });
    for (let i = 0; i < 50; i++) expect((await l.check('app1', `caller${i}`)).allowed).toBe(true);
    expect(l.size).toBe(0);
  });

  it('forgets callers two minutes after their last call, so memory stays bounded', async () => {
    const { l, advance } = limiter({ app: 10, caller: 10 });
    for (let i = 0; i < 20; i++) await l.check(`app${i % 2}`, `caller${i}`);
    expect(l.size).toBe(22);
    advance(WINDOW_MS);
    await l.check('app0', 'caller0');
    // The previous minute still counts: nothing may be forgotten yet.
    expect(l.size).toBe(22);
    advance(2 * WINDOW_MS);
    await l.check('app9', 'late');
    expect(l.size).toBe(2);
  });
});
