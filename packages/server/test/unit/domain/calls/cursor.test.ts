import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../../../../src/domain/calls/cursor.js';
import { InvalidInput } from '../../../../src/kernel/index.js';

const LIST = JSON.stringify(['app1', 'bob', null, null, null]);
const AT = { createdAt: 1_767_225_600_123, id: 'c_Ab-9_xY' };

/** The error a refused cursor throws: a 400 naming the `cursor` field. */
function refusal(cursor: string, list = LIST): unknown {
  try {
    decodeCursor(cursor, list);
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('history cursors', () => {
  it('give back the position they were made from, as an opaque URL-safe string', () => {
    const cursor = encodeCursor(AT, LIST);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cursor).not.toContain(AT.id);
    expect(decodeCursor(cursor, LIST)).toEqual(AT);
  });

  it('refuse a cursor with any character changed', () => {
    const cursor = encodeCursor(AT, LIST);
    for (let i = 0; i < cursor.length; i++) {
      const c = cursor[i] === 'A' ? 'B' : 'A';
      const tampered = cursor.slice(0, i) + c + cursor.slice(i + 1);
      const err = refusal(tampered);
      // A change to the padding bits of the last character can decode to the same bytes: then it is the same cursor.
      if (err === undefined) expect(decodeCursor(tampered, LIST)).toEqual(AT);
      else expect(err).toMatchObject({ code: 'validation_failed', field: 'cursor' });
    }
  });

  it('refuse a hand-made position, even one that decodes', () => {
    const forged = Buffer.from(JSON.stringify([AT.createdAt + 1, AT.id, 'whatever'])).toString('base64url');
    expect(refusal(forged)).toBeInstanceOf(InvalidInput);
  });

  it('refuse a cursor of another list: other filters, another app', () => {
    const cursor = encodeCursor(AT, LIST);
    expect(refusal(cursor, JSON.stringify(['app1', 'carol', null, null, null]))).toBeInstanceOf(InvalidInput);
    expect(refusal(cursor, JSON.stringify(['app2', 'bob', null, null, null]))).toBeInstanceOf(InvalidInput);
  });

  it('refuse garbage of every shape with a 400, never a crash', () => {
    const b64 = (v: string) => Buffer.from(v).toString('base64url');
    for (const junk of [
      '',
      '!!!',
      'a'.repeat(600),
      b64('not json'),
      b64('{}'),
      b64('[1,2]'),
      b64('[-1,"c_x","k"]'),
      b64('[1.5,"c_x","k"]'),
      b64('[1e300,"c_x","k"]'),
      b64('["1","c_x","k"]'),
      b64('[1,2,"k"]'),
      b64('null'),
    ]) {
      expect(refusal(junk), junk).toMatchObject({ code: 'validation_failed', field: 'cursor' });
    }
  });
});
