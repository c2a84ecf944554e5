import { describe, expect, it } from 'vitest';
import { newId } from '../../../src/kernel/ids.js';

describe('newId', () => {
  it('gives prefixed base64url ids of the asked size', () => {
    expect(newId('c')).toMatch(/^c_[A-Za-z0-9_-]{16}$/);
    expect(newId('n', 6)).toMatch(/^n_[A-Za-z0-9_-]{8}$/);
  });

  it('never repeats, also across refills of its random pool', () => {
    const ids = Array.from({ length: 5000 }, () => newId('d'));
    expect(new Set(ids).size).toBe(ids.length);
  });
});
