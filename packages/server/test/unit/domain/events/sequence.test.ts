import { describe, expect, it } from 'vitest';
import { Sequence } from '../../../../src/domain/events/sequence.js';

const T0 = 1_763_700_000_000;

describe('event order within a subject', () => {
  it('events written later sort later, also many in one millisecond', () => {
    const seq = new Sequence();
    const written = Array.from({ length: 2500 }, () => seq.next(T0, 0));
    expect(written).toEqual([...written].sort((a, b) => a - b));
    expect(new Set(written).size).toBe(written.length);
    expect(written[0]).toBe(T0 * 1000);
    // Still exact as a number: the column is a bigint, read back as a JS number.
    expect(Number.isSafeInteger(written.at(-1))).toBe(true);
  });

  it("a node whose clock is behind still writes after a faster node's event of the same call", () => {
    const ahead = new Sequence();
    const behind = new Sequence();
    // The call's changes alternate between two nodes, each reading the subject's last seq in its transaction.
    let last = 0;
    const order: number[] = [];
    for (let i = 0; i < 10; i++) {
      const node = i % 2 === 0 ? ahead : behind;
      const clock = i % 2 === 0 ? T0 + 10_000 + i : T0 + i;
      last = node.next(clock, last);
      order.push(last);
    }
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(new Set(order).size).toBe(order.length);
  });

  it('a clock stepped back does not reorder what this node writes', () => {
    const seq = new Sequence();
    const first = seq.next(T0, 0);
    expect(seq.next(T0 - 60_000, 0)).toBeGreaterThan(first);
  });
});
