import { describe, expect, it } from 'vitest';
import { parseClientFrame } from '../../../../src/domain/realtime/protocol.js';

const json = (v: unknown) => JSON.stringify(v);

describe('parseClientFrame accepts', () => {
  const cases: Array<[string, string, unknown]> = [
    [
      'a hello',
      json({ type: 'hello', token: 'jwt', deviceId: 'pixel-7' }),
      { type: 'hello', token: 'jwt', deviceId: 'pixel-7' },
    ],
    [
      'a hello whose device id uses every allowed punctuation',
      json({ type: 'hello', token: 't', deviceId: 'a.b_c:d@e+f=g-h' }),
      { type: 'hello', token: 't', deviceId: 'a.b_c:d@e+f=g-h' },
    ],
    ['an auth (token refresh)', json({ type: 'auth', token: 'jwt2' }), { type: 'auth', token: 'jwt2' }],
    ['a receipt', json({ type: 'receipt', callId: 'c_abc' }), { type: 'receipt', callId: 'c_abc' }],
    [
      'a receipt for any bounded id',
      json({ type: 'receipt', callId: 'x'.repeat(256) }),
      { type: 'receipt', callId: 'x'.repeat(256) },
    ],
    ['a pong', json({ type: 'pong' }), { type: 'pong' }],
    ['a ping', json({ type: 'ping' }), { type: 'ping' }],
    [
      'a token at the size limit',
      json({ type: 'auth', token: 't'.repeat(4096) }),
      { type: 'auth', token: 't'.repeat(4096) },
    ],
  ];

  it.each(cases)('%s', (_name, text, expected) => {
    expect(parseClientFrame(text)).toEqual(expected);
  });

  it('keeps only the fields of the frame, dropping extras', () => {
    expect(parseClientFrame(json({ type: 'receipt', callId: 'c_1', admin: true }))).toEqual({
      type: 'receipt',
      callId: 'c_1',
    });
  });
});

describe('parseClientFrame refuses', () => {
  const cases: Array<[string, string]> = [
    ['text that is not JSON', 'hello'],
    ['JSON null', 'null'],
    ['a JSON string', '"ping"'],
    ['an array', '[{"type":"ping"}]'],
    ['an unknown type', json({ type: 'subscribe' })],
    ['a frame without a type', json({ token: 'x' })],
    ['a hello without a device id', json({ type: 'hello', token: 'jwt' })],
    ['a hello with an empty token', json({ type: 'hello', token: '', deviceId: 'pixel' })],
    ['a hello whose token is not a string', json({ type: 'hello', token: 42, deviceId: 'pixel' })],
    ['a hello with a space in the device id', json({ type: 'hello', token: 'jwt', deviceId: 'my phone' })],
    ['a hello with a slash in the device id', json({ type: 'hello', token: 'jwt', deviceId: '../admin' })],
    ['a hello with a 129-character device id', json({ type: 'hello', token: 'jwt', deviceId: 'd'.repeat(129) })],
    ['an auth with a token over 4096 characters', json({ type: 'auth', token: 't'.repeat(4097) })],
    ['a receipt without a call id', json({ type: 'receipt' })],
    ['a receipt with an empty call id', json({ type: 'receipt', callId: '' })],
    ['a receipt with a call id over 256 characters', json({ type: 'receipt', callId: 'x'.repeat(257) })],
    ['a receipt whose call id is a number', json({ type: 'receipt', callId: 7 })],
  ];

  it.each(cases)('%s', (_name, text) => {
    expect(parseClientFrame(text)).toBeUndefined();
  });
});
