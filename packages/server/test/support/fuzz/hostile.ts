import fc from 'fast-check';

/** Keys that mean something to JavaScript objects: a parser that indexes a plain object with them misbehaves. */
export const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];

/** Strings that break naive code: control and invisible characters, encodings, injections, path tricks. */
const NASTY = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\r\n',
  '\t\u000b\u000c',
  '\u202eevil',
  '\ufeff',
  '\ud800',
  '\udfff\ud800',
  '😀'.repeat(40),
  'é'.repeat(200),
  '𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
  '../../../../etc/passwd',
  '..%2f..%2fetc%2fpasswd',
  '%00',
  '%',
  '%zz',
  "' OR 1=1 --",
  '"; DROP TABLE calls; --',
  '<script>alert(1)</script>',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4shell probe, sent as is
  '${jndi:ldap://127.0.0.1/a}',
  '{{7*7}}',
  '%s%s%n',
  'null',
  'true',
  '-0',
  '1e309',
  'NaN',
  '0x10',
  ...PROTOTYPE_KEYS,
];

/** Percent-encodes the UTF-8 of `s` (lone surrogates become U+FFFD, where encodeURIComponent throws). */
export function percentEncode(s: string): string {
  return [...Buffer.from(s, 'utf8')]
    .map((b) =>
      /[A-Za-z0-9\-._~]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');
}

/** A hostile string: one of the classics, random text of any unit, or a long one. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme-composite', maxLength: 40 }) },
  // Lone surrogates are legal in a JS string and in JSON escapes, not in UTF-8.
  {
    weight: 1,
    arbitrary: fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)) }),
  },
  { weight: 1, arbitrary: fc.integer({ min: 129, max: 20_000 }).map((n) => 'x'.repeat(n)) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('😀', 'é', '\u0001', '"', '\\'), fc.integer({ min: 100, max: 5000 }))
      .map(([c, n]) => c.repeat(n)),
  },
);

/** Numbers at and past every edge a field may have. */
const edgeNumber = fc.constantFrom(
  0,
  -0,
  -1,
  0.5,
  1e308,
  -1e308,
  2 ** 31,
  2 ** 53 + 2,
  -(2 ** 53) - 2,
  9e15,
  8.64e15 + 1,
  Number.MAX_SAFE_INTEGER,
  Number.MIN_VALUE,
);

/** Any JSON value a client could send in place of the right one. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  { weight: 2, arbitrary: edgeNumber },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom(...PROTOTYPE_KEYS), fc.jsonValue({ maxDepth: 1 })) },
  { weight: 1, arbitrary: fc.array(hostileString, { maxLength: 60 }) },
);

/** How one place of a valid value is broken. */
export type Mutation =
  | { kind: 'replace'; at: number; value: unknown }
  | { kind: 'delete'; at: number }
  | { kind: 'extra'; at: number; key: string; value: unknown }
  | { kind: 'nest'; at: number; depth: number }
  /** A string value becomes a name objects already have (`__proto__`, `toString`): an event name, a user id. */
  | { kind: 'proto'; at: number; key: number };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), value: hostileValue }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('extra' as const),
      at: fc.nat(),
      key: fc.oneof(fc.constantFrom(...PROTOTYPE_KEYS), hostileString),
      value: hostileValue,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('nest' as const),
      at: fc.nat(),
      depth: fc.integer({ min: 20, max: 300 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('proto' as const), at: fc.nat(), key: fc.nat(PROTOTYPE_KEYS.length - 1) }),
  },
);

type Json = Record<string, unknown> | unknown[];

/** The containers of `value` with their keys: the places a mutation can act on. */
function places(value: unknown, out: Array<{ parent: Json; key: string | number }> = []) {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      out.push({ parent: value, key: i });
      places(v, out);
    });
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      out.push({ parent: value as Record<string, unknown>, key: k });
      places(v, out);
    }
  }
  return out;
}

/** A copy of `value` with one mutation applied (to the whole value when it has no inner place). */
export function mutate(value: unknown, m: Mutation): unknown {
  const root = { value: structuredClone(value) };
  const found = places(root.value);
  const all =
    m.kind === 'proto'
      ? found.filter((p) => typeof (p.parent as Record<string | number, unknown>)[p.key] === 'string')
      : found;
  const place = all.length ? all[m.at % all.length]! : { parent: root as unknown as Json, key: 'value' };
  const parent = place.parent as Record<string | number, unknown>;
  switch (m.kind) {
    case 'replace':
      parent[place.key] = m.value;
      break;
    case 'delete':
      if (Array.isArray(parent)) parent.splice(place.key as number, 1);
      else delete parent[place.key];
      break;
    case 'extra': {
      const target = parent[place.key];
      const obj = typeof target === 'object' && target !== null && !Array.isArray(target) ? target : root.value;
      // defineProperty makes `__proto__` an own key, as JSON.parse does, instead of changing the prototype.
      if (typeof obj === 'object' && obj !== null) {
        Object.defineProperty(obj, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
      }
      break;
    }
    case 'proto':
      if (all.length) parent[place.key] = PROTOTYPE_KEYS[m.key];
      break;
    case 'nest': {
      let nested: unknown = parent[place.key];
      for (let i = 0; i < m.depth; i++) nested = i % 2 ? [nested] : { a: nested };
      parent[place.key] = nested;
      break;
    }
  }
  return root.value;
}

/** Bodies that are not JSON, or JSON a strict reader may refuse, as bytes. */
export const badJson: fc.Arbitrary<Buffer> = fc.oneof(
  fc
    .constantFrom(
      '',
      '{',
      '{"a":',
      '{"a":1,}',
      "{'a':1}",
      '{"a":NaN}',
      '{"a":1e99999}',
      '{"a":1}{"b":2}',
      '{"a":1} trailing',
      '/* c */ {}',
      '\ufeff{}',
      'null',
      '[]',
      '"a string"',
      '123',
      'true',
      '{"__proto__":{"admin":true}}',
      '{"constructor":{"prototype":{"polluted":1}}}',
      '{"a":"\\ud800"}',
      '{"a":"\\u0000"}',
    )
    .map((s) => Buffer.from(s)),
  fc.integer({ min: 1000, max: 200_000 }).map((n) => Buffer.from('['.repeat(n))),
  fc.integer({ min: 1000, max: 50_000 }).map((n) => Buffer.from(`${'{"a":'.repeat(n)}1${'}'.repeat(n)}`)),
  // Not UTF-8 at all: latin-1, UTF-16 and stray continuation bytes.
  fc.constantFrom(
    Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xe9, 0x22, 0x7d]),
    Buffer.from('{"name":"x"}', 'utf16le'),
    Buffer.from([0x7b, 0x80, 0xbf, 0xfe, 0xff, 0x7d]),
    Buffer.from([0xc0, 0xaf]),
  ),
  fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
);

export const contentType: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 12, arbitrary: fc.constant('application/json') },
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      undefined,
      '',
      'application/json; charset=utf-8',
      'application/json; charset=utf-16',
      'application/json; charset=latin1',
      'APPLICATION/JSON',
      'application/json, text/plain',
      'application/jsonx',
      'application/vnd.api+json',
      'text/plain',
      'text/html',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/octet-stream',
      '*/*',
      'application/json; boundary=',
      ';;;',
      `application/json; ${'p=v; '.repeat(500)}`,
    ),
  },
);
