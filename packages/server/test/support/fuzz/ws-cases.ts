import fc from 'fast-check';
import { hostileString, hostileValue, type Mutation, mutate, mutation, PROTOTYPE_KEYS } from './hostile.js';
import type { Forged } from './tokens.js';
import { encodeFrame } from './ws-raw.js';

/**
 * Fuzzed active-connection sessions: a handshake (mostly right), often a valid hello first so the frames after
 * it reach the code behind authentication, then a few frames, each broken at the WebSocket layer (opcodes,
 * reserved bits, masking, lengths, fragmentation, UTF-8) or at the protocol layer (frames of docs/
 * active-connection.md with wrong, hostile or forged contents).
 */

export interface WsContext {
  /** A valid user token and another user's; an expired one. */
  token: string;
  otherUserToken: string;
  expiredToken: string;
  callIds: string[];
}

type Token =
  | { kind: 'valid' | 'other-user' | 'expired' }
  | { kind: 'forged'; forged: Forged }
  | { kind: 'hostile'; value: unknown };

type Frame =
  | { type: 'hello'; token: Token; deviceId: string }
  | { type: 'auth'; token: Token }
  | { type: 'receipt'; callId: unknown }
  | { type: 'ping' | 'pong' }
  | { type: 'mutated'; base: 'hello' | 'auth' | 'receipt'; mutations: Mutation[] }
  | { type: 'any'; value: unknown };

export type WsStep =
  | { kind: 'json'; frame: Frame }
  | { kind: 'text'; text: string }
  | { kind: 'binary'; bytes: Uint8Array }
  | { kind: 'invalid-utf8' }
  | { kind: 'oversize'; size: number }
  | { kind: 'fragmented'; frame: Frame; parts: number }
  | { kind: 'bad-opcode'; opcode: number }
  | { kind: 'rsv'; rsv: number }
  | { kind: 'unmasked' }
  | { kind: 'big-control'; opcode: number }
  | { kind: 'close'; code: number; reason: string }
  | { kind: 'ping'; payload: string }
  | { kind: 'orphan-continuation' }
  | { kind: 'length-lie' }
  | { kind: 'burst'; count: number };

export interface WsCase {
  handshake: 'valid' | 'no-key' | 'bad-version' | 'protocols' | 'deflate' | 'no-upgrade';
  helloFirst: boolean;
  steps: WsStep[];
}

const token = (forged: fc.Arbitrary<Forged>): fc.Arbitrary<Token> =>
  fc.oneof(
    { weight: 5, arbitrary: fc.constant({ kind: 'valid' as const }) },
    { weight: 1, arbitrary: fc.constantFrom({ kind: 'other-user' as const }, { kind: 'expired' as const }) },
    { weight: 4, arbitrary: forged.map((f) => ({ kind: 'forged' as const, forged: f })) },
    { weight: 1, arbitrary: hostileValue.map((value) => ({ kind: 'hostile' as const, value })) },
  );

const deviceId = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z0-9._:@+=-]{1,128}$/) },
  { weight: 1, arbitrary: fc.oneof(hostileString, fc.constantFrom(...PROTOTYPE_KEYS)) },
);

const frame = (forged: fc.Arbitrary<Forged>): fc.Arbitrary<Frame> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.record({ type: fc.constant('hello' as const), token: token(forged), deviceId }) },
    { weight: 3, arbitrary: fc.record({ type: fc.constant('auth' as const), token: token(forged) }) },
    {
      weight: 3,
      arbitrary: fc.record({
        type: fc.constant('receipt' as const),
        callId: fc.oneof(fc.constant('real'), hostileValue),
      }),
    },
    { weight: 1, arbitrary: fc.constantFrom({ type: 'ping' as const }, { type: 'pong' as const }) },
    {
      weight: 3,
      arbitrary: fc.record({
        type: fc.constant('mutated' as const),
        base: fc.constantFrom('hello' as const, 'auth' as const, 'receipt' as const),
        mutations: fc.array(mutation, { minLength: 1, maxLength: 2 }),
      }),
    },
    { weight: 1, arbitrary: hostileValue.map((value) => ({ type: 'any' as const, value })) },
  );

const step = (forged: fc.Arbitrary<Forged>): fc.Arbitrary<WsStep> =>
  fc.oneof(
    { weight: 12, arbitrary: frame(forged).map((f) => ({ kind: 'json' as const, frame: f })) },
    { weight: 2, arbitrary: hostileString.map((text) => ({ kind: 'text' as const, text })) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ kind: 'binary' as const, bytes })) },
    { weight: 1, arbitrary: fc.constant({ kind: 'invalid-utf8' as const }) },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 8193, max: 70_000 }).map((size) => ({ kind: 'oversize' as const, size })),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('fragmented' as const),
        frame: frame(forged),
        parts: fc.integer({ min: 2, max: 4 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf)
        .map((opcode) => ({ kind: 'bad-opcode' as const, opcode })),
    },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 7 }).map((rsv) => ({ kind: 'rsv' as const, rsv })) },
    { weight: 1, arbitrary: fc.constant({ kind: 'unmasked' as const }) },
    { weight: 1, arbitrary: fc.constantFrom(8, 9, 10).map((opcode) => ({ kind: 'big-control' as const, opcode })) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('close' as const),
        code: fc.constantFrom(0, 999, 1000, 1004, 1005, 1006, 1011, 1015, 2999, 3000, 4999, 5000, 65_535),
        reason: fc.string({ maxLength: 120 }),
      }),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 125 }).map((payload) => ({ kind: 'ping' as const, payload })) },
    {
      weight: 1,
      arbitrary: fc.constantFrom({ kind: 'orphan-continuation' as const }, { kind: 'length-lie' as const }),
    },
    { weight: 1, arbitrary: fc.integer({ min: 10, max: 300 }).map((count) => ({ kind: 'burst' as const, count })) },
  );

export function wsCase(forged: fc.Arbitrary<Forged>): fc.Arbitrary<WsCase> {
  return fc.record({
    handshake: fc.oneof(
      { weight: 20, arbitrary: fc.constant('valid' as const) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          'no-key' as const,
          'bad-version' as const,
          'protocols' as const,
          'deflate' as const,
          'no-upgrade' as const,
        ),
      },
    ),
    helloFirst: fc.boolean(),
    steps: fc.array(step(forged), { minLength: 1, maxLength: 6 }),
  });
}

function tokenText(t: Token, ctx: WsContext): unknown {
  switch (t.kind) {
    case 'valid':
      return ctx.token;
    case 'other-user':
      return ctx.otherUserToken;
    case 'expired':
      return ctx.expiredToken;
    case 'forged':
      return t.forged.token;
    case 'hostile':
      return t.value;
  }
}

const BASES = (ctx: WsContext): Record<'hello' | 'auth' | 'receipt', Record<string, unknown>> => ({
  hello: { type: 'hello', token: ctx.token, deviceId: 'fuzz-device' },
  auth: { type: 'auth', token: ctx.token },
  receipt: { type: 'receipt', callId: ctx.callIds[0] ?? 'c_none' },
});

function frameText(f: Frame, ctx: WsContext): string {
  let value: unknown;
  switch (f.type) {
    case 'hello':
      value = { type: 'hello', token: tokenText(f.token, ctx), deviceId: f.deviceId };
      break;
    case 'auth':
      value = { type: 'auth', token: tokenText(f.token, ctx) };
      break;
    case 'receipt':
      value = { type: 'receipt', callId: f.callId === 'real' ? (ctx.callIds[0] ?? 'c_none') : f.callId };
      break;
    case 'ping':
    case 'pong':
      value = { type: f.type };
      break;
    case 'mutated':
      value = f.mutations.reduce((v, m) => mutate(v, m), BASES(ctx)[f.base] as unknown);
      break;
    case 'any':
      value = f.value;
      break;
  }
  return JSON.stringify(value) ?? 'null';
}

const text = (payload: Buffer | string, extra: Partial<Parameters<typeof encodeFrame>[0]> = {}) =>
  encodeFrame({ opcode: 0x1, payload: Buffer.from(payload), ...extra });

/** The bytes of one step. */
export function renderStep(s: WsStep, ctx: WsContext): Buffer {
  switch (s.kind) {
    case 'json':
      return text(frameText(s.frame, ctx));
    case 'text':
      return text(s.text);
    case 'binary':
      return encodeFrame({ opcode: 0x2, payload: Buffer.from(s.bytes) });
    case 'invalid-utf8':
      return text(Buffer.from([0x7b, 0xff, 0xfe, 0xc0, 0xaf, 0x7d]));
    case 'oversize':
      return text(JSON.stringify({ type: 'receipt', callId: 'x'.repeat(s.size) }));
    case 'fragmented': {
      const payload = Buffer.from(frameText(s.frame, ctx));
      const size = Math.ceil(payload.length / s.parts);
      const parts = Array.from({ length: s.parts }, (_, i) => payload.subarray(i * size, (i + 1) * size));
      return Buffer.concat(
        parts.map((p, i) => encodeFrame({ opcode: i === 0 ? 0x1 : 0x0, payload: p, fin: i === parts.length - 1 })),
      );
    }
    case 'bad-opcode':
      return encodeFrame({ opcode: s.opcode, payload: Buffer.from('{}') });
    case 'rsv':
      return text('{"type":"ping"}', { rsv: s.rsv });
    case 'unmasked':
      return text('{"type":"ping"}', { masked: false });
    case 'big-control':
      return encodeFrame({ opcode: s.opcode, payload: Buffer.alloc(126, 0x61) });
    case 'close': {
      const payload = Buffer.concat([Buffer.alloc(2), Buffer.from(s.reason).subarray(0, 123)]);
      payload.writeUInt16BE(s.code, 0);
      return encodeFrame({ opcode: 0x8, payload });
    }
    case 'ping':
      return encodeFrame({ opcode: 0x9, payload: Buffer.from(s.payload).subarray(0, 125) });
    case 'orphan-continuation':
      return encodeFrame({ opcode: 0x0, payload: Buffer.from('{"type":"ping"}') });
    case 'length-lie':
      return encodeFrame({ opcode: 0x1, payload: Buffer.from('{}'), declaredLength: 2n ** 62n });
    case 'burst':
      return Buffer.concat(Array.from({ length: s.count }, () => text('{"type":"ping"}')));
  }
}

export function handshakeHeaders(kind: WsCase['handshake'], valid: Array<[string, string]>): Array<[string, string]> {
  switch (kind) {
    case 'valid':
      return valid;
    case 'no-key':
      return valid.filter(([k]) => k !== 'Sec-WebSocket-Key');
    case 'bad-version':
      return valid.map(([k, v]): [string, string] => [k, k === 'Sec-WebSocket-Version' ? '8' : v]);
    case 'protocols':
      return [...valid, ['Sec-WebSocket-Protocol', 'a, b, \u00e9']];
    case 'deflate':
      return [...valid, ['Sec-WebSocket-Extensions', 'permessage-deflate; client_max_window_bits']];
    case 'no-upgrade':
      return valid.filter(([k]) => k !== 'Upgrade');
  }
}
