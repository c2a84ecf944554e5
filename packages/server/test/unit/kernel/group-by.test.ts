import { describe, expect, it } from 'vitest';
import { groupBy } from '../../../src/kernel/group-by.js';

describe('groupBy', () => {
  it('groups by key, keeping first-seen order of groups and of members', () => {
    const groups = groupBy(['b1', 'a1', 'b2', 'c1', 'a2'], (s) => s[0]!);
    expect([...groups.entries()]).toEqual([
      ['b', ['b1', 'b2']],
      ['a', ['a1', 'a2']],
      ['c', ['c1']],
    ]);
  });

  it('gives no groups for no items', () => {
    expect(groupBy([], String).size).toBe(0);
  });
});
