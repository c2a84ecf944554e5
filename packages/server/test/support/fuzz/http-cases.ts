import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { bandyerSignature } from '../../../src/integrations/kaleyra/index.js';
import { badJson, contentType, hostileString, type Mutation, mutate, mutation, percentEncode } from './hostile.js';
import { type Operation, type Resolve, validValue } from './openapi.js';
import { requestBytes } from './raw-http.js';

/**
 * Fuzzed HTTP requests generated from the OpenAPI document. A case is plain data drawn by fast-check from a
 * fixed seed; it becomes bytes only when sent (`render`), against what the gateway holds at that moment (ids,
 * credentials, the Kaleyra secret a previous case may have replaced), so the requests reach the code behind
 * authentication and validation as well as the refusals in front of it.
 */

/** What the running gateway holds that requests may name. */
export interface FuzzContext {
  host: string;
  admin: string;
  /** The bearer token `/metrics` asks for (CALLPUSH_METRICS_TOKEN). */
  metrics: string;
  app: { key: string; secret: string };
  /** Another app's credentials: valid, but for none of the ids in paths. */
  other: { key: string; secret: string };
  userTokens: Record<string, string>;
  /** A token past its expiry, signed right. */
  expiredToken: string;
  callIds: string[];
  kaleyra: { secret: string; scheme: 'bandyer' | 'standard' };
  /** Valid request bodies per `METHOD path`, to mutate from. */
  seeds: Record<string, unknown[]>;
  /** A last look at every JSON body before it is serialised (the suite keeps provider URLs on loopback). */
  adjustBody?: (op: Operation, json: unknown) => unknown;
  /** Ids per path parameter name that exist; a DELETE names `spare` ones (decoy apps), which it may delete. */
  ids: Record<string, string[]>;
  spare: Record<string, string[]>;
}

type Auth =
  /** `alt`: the user token where the operation takes app credentials or a user token. */
  | { kind: 'valid'; alt: boolean }
  | { kind: 'none' }
  | { kind: 'other-app' }
  | { kind: 'expired' }
  /** A valid credential of a kind the operation does not take (`pick` chooses which). */
  | { kind: 'wrong-scheme'; pick: number }
  | { kind: 'garbage'; value: string };

type Param =
  | { kind: 'real'; pick: number }
  | { kind: 'valid'; value: string }
  | { kind: 'hostile'; value: string; raw: boolean };

type Body =
  | { kind: 'none' }
  | { kind: 'seed'; pick: number }
  | { kind: 'generated'; value: unknown }
  | { kind: 'mutated'; pick: number; mutations: Mutation[] }
  | { kind: 'bytes'; bytes: Buffer }
  | { kind: 'oversized'; bytes: number };

type Framing = 'length' | 'chunked' | 'short' | 'double-length' | 'length-and-chunked';

export interface OperationCase {
  kind: 'operation';
  op: number;
  method: 'same' | 'HEAD' | 'OPTIONS' | 'preflight' | string;
  auth: Auth;
  params: Param[];
  query?: string;
  body: Body;
  contentType: string | undefined;
  headers: Array<[string, string]>;
  framing: Framing;
}

/** Bytes no correct client sends: broken request lines, framing and header syntax. */
export interface GarbageCase {
  kind: 'garbage';
  template: number;
  target: string;
  filler: string;
}

export type HttpCase = OperationCase | GarbageCase;

const WRONG_METHODS = ['PATCH', 'TRACE', 'CONNECT', 'PROPFIND', 'get', 'DELETE', 'PUT', 'POST', 'GET', 'M-SEARCH'];

const auth: fc.Arbitrary<Auth> = fc.oneof(
  { weight: 12, arbitrary: fc.boolean().map((alt) => ({ kind: 'valid' as const, alt })) },
  { weight: 2, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'other-app' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'expired' as const }) },
  { weight: 2, arbitrary: fc.nat().map((pick) => ({ kind: 'wrong-scheme' as const, pick })) },
  {
    weight: 2,
    arbitrary: fc
      .oneof(
        fc.constantFrom(
          'Bearer',
          'Basic',
          'Bearer ',
          'Basic !!!',
          'Basic Og==',
          'Bearer a.b.c',
          'Bearer ..',
          'Digest x',
        ),
        hostileString.map((s) => `Bearer ${s}`),
        hostileString.map((s) => `Basic ${Buffer.from(s).toString('base64')}`),
        fc.integer({ min: 1000, max: 12_000 }).map((n) => `Bearer ${'A'.repeat(n)}`),
      )
      .map((value) => ({ kind: 'garbage' as const, value })),
  },
);

/** Path tricks: the router and the parameter checks see these before any handler. */
const pathTrick = fc.oneof(
  fc.constantFrom('..', '.', '%2e%2e', '%2E%2e%2f', '..%2f..%2f', '%00', '%2F', '%5C', '%', '%zz', '%u0041', ';x', '~'),
  fc.integer({ min: 101, max: 128 }).map((n) => 'i'.repeat(n)),
  fc.integer({ min: 129, max: 1000 }).map((n) => 'i'.repeat(n)),
  fc.integer({ min: 8000, max: 20_000 }).map((n) => 'i'.repeat(n)),
);

const param: fc.Arbitrary<Param> = fc.oneof(
  { weight: 5, arbitrary: fc.nat().map((pick) => ({ kind: 'real' as const, pick })) },
  {
    weight: 2,
    arbitrary: fc.stringMatching(/^[A-Za-z0-9._:@+=-]{1,128}$/).map((value) => ({ kind: 'valid' as const, value })),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('hostile' as const), value: hostileString, raw: fc.constant(false) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('hostile' as const), value: pathTrick, raw: fc.constant(true) }),
  },
);

const query = fc.option(
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.constantFrom(
        '?',
        '?a=1&a=2',
        '?__proto__[admin]=1',
        '?constructor[prototype][x]=1',
        '?%zz',
        '?a=%00',
        '?#frag',
      ),
    },
    { weight: 4, arbitrary: hostileString.map((s) => `?q=${percentEncode(s)}`) },
    { weight: 1, arbitrary: fc.integer({ min: 2000, max: 70_000 }).map((n) => `?q=${'q'.repeat(n)}`) },
  ),
  { freq: 8, nil: undefined },
);

const extraHeader: fc.Arbitrary<[string, string]> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.tuple(
      fc.constantFrom(
        'x-fuzz',
        'accept',
        'accept-encoding',
        'origin',
        'x-forwarded-for',
        'cookie',
        'range',
        'if-none-match',
        'te',
        'upgrade',
        'expect',
      ),
      hostileString.map((s) => percentEncode(s).slice(0, 2000)),
    ),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(
      fc.constant('idempotency-key'),
      fc.oneof(
        hostileString.map((s) => percentEncode(s).slice(0, 300)),
        fc.constantFrom('k1', 'k2', 'shared-key'),
      ),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.constant('origin'), fc.constantFrom('https://evil.example', 'null', 'http://127.0.0.1')),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(
      fc.constantFrom('accept-encoding', 'accept'),
      fc.constantFrom('gzip, deflate, br', 'application/xml', '*/*;q=0', 'identity;q=0'),
    ),
  },
);

const framing: fc.Arbitrary<Framing> = fc.oneof(
  { weight: 20, arbitrary: fc.constant('length' as const) },
  { weight: 3, arbitrary: fc.constant('chunked' as const) },
  { weight: 1, arbitrary: fc.constantFrom('short' as const, 'double-length' as const, 'length-and-chunked' as const) },
);

/**
 * Bodies for one operation: from its schema, or, for an operation whose body the document does not describe
 * (the Kaleyra webhook takes raw signed bytes), from the suite's seeds when it has some.
 */
function body(op: Operation, resolve: Resolve, seeded: boolean): fc.Arbitrary<Body> {
  const bytes = badJson.map((b) => ({ kind: 'bytes' as const, bytes: b }));
  const seed = fc.nat().map((pick) => ({ kind: 'seed' as const, pick }));
  const mutated = fc.record({
    kind: fc.constant('mutated' as const),
    pick: fc.nat(),
    mutations: fc.array(mutation, { minLength: 1, maxLength: 3 }),
  });
  const none = fc.constant({ kind: 'none' as const });
  if (!op.body && !seeded) return fc.oneof({ weight: 9, arbitrary: none }, { weight: 1, arbitrary: bytes });
  if (!op.body) {
    return fc.oneof(
      { weight: 3, arbitrary: seed },
      { weight: 8, arbitrary: mutated },
      { weight: 2, arbitrary: bytes },
      { weight: 1, arbitrary: none },
    );
  }
  return fc.oneof(
    { weight: 3, arbitrary: seed },
    { weight: 2, arbitrary: validValue(op.body, resolve).map((value) => ({ kind: 'generated' as const, value })) },
    { weight: 6, arbitrary: mutated },
    { weight: 2, arbitrary: bytes },
    { weight: 1, arbitrary: none },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 262_145, max: 400_000 }).map((n) => ({ kind: 'oversized' as const, bytes: n })),
    },
  );
}

function operationCase(operations: Operation[], resolve: Resolve, seeded: Set<string>): fc.Arbitrary<OperationCase> {
  return fc.nat(operations.length - 1).chain((op) => {
    const o = operations[op]!;
    return fc.record({
      kind: fc.constant('operation' as const),
      op: fc.constant(op),
      method: fc.oneof(
        { weight: 16, arbitrary: fc.constant('same') },
        { weight: 1, arbitrary: fc.constantFrom('HEAD', 'OPTIONS', 'preflight') },
        { weight: 1, arbitrary: fc.constantFrom(...WRONG_METHODS) },
      ),
      auth,
      params: fc.tuple(...o.pathParams.map(() => param)),
      query,
      body: body(o, resolve, seeded.has(`${o.method} ${o.path}`)),
      contentType,
      headers: fc.oneof(
        { weight: 40, arbitrary: fc.array(extraHeader, { maxLength: 3 }) },
        // Past Node's 16 KiB header limit (431), or just under it.
        {
          weight: 1,
          arbitrary: fc
            .integer({ min: 8000, max: 70_000 })
            .map((n): Array<[string, string]> => [['x-big', 'h'.repeat(n)]]),
        },
      ),
      framing,
    });
  });
}

/** Requests that break HTTP/1.1 itself; `{t}` is the target, `{f}` a filler, `{h}` the host. */
const GARBAGE = [
  'GET {t} HTTP/1.1\r\nHost: {h}\r\n\r\n',
  'GET {t} HTTP/9.9\r\nHost: {h}\r\n\r\n',
  'GET {t}\r\n\r\n',
  'GET  {t}  HTTP/1.1\r\nHost: {h}\r\n\r\n',
  'GET {t} HTTP/1.1\nHost: {h}\n\n',
  'GET {t} HTTP/1.1\r\nHost: {h}\r\nX-Fold: a\r\n b\r\n\r\n',
  'GET {t} HTTP/1.1\r\nHost: {h}\r\nNo-Colon\r\n\r\n',
  'GET {t} HTTP/1.1\r\nHost: {h}\r\nBad Name: x\r\n\r\n',
  'GET {t} HTTP/1.1\r\nHost: {h}\r\nX-Nul: a\u0000b\r\n\r\n',
  'GET {t} HTTP/1.1\r\nHost: {h}\r\nX-Ctl: \u0001\u007f\r\n\r\n',
  'GET http://{h}{t} HTTP/1.1\r\nHost: {h}\r\n\r\n',
  'GET http://evil.example{t} HTTP/1.1\r\nHost: {h}\r\n\r\n',
  'OPTIONS * HTTP/1.1\r\nHost: {h}\r\n\r\n',
  'GET {t} HTTP/1.0\r\n\r\n',
  'GET {t} HTTP/1.1\r\n\r\n',
  'GET {t} HTTP/1.1\r\nHost: {h}\r\nHost: other\r\n\r\n',
  'POST {t} HTTP/1.1\r\nHost: {h}\r\nContent-Length: -1\r\n\r\n',
  'POST {t} HTTP/1.1\r\nHost: {h}\r\nContent-Length: 1e3\r\n\r\n',
  'POST {t} HTTP/1.1\r\nHost: {h}\r\nContent-Length: 99999999999999999999\r\n\r\n',
  'POST {t} HTTP/1.1\r\nHost: {h}\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n{"a":1}',
  'POST {t} HTTP/1.1\r\nHost: {h}\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
  'POST {t} HTTP/1.1\r\nHost: {h}\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n',
  'POST {t} HTTP/1.1\r\nHost: {h}\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n',
  'POST {t} HTTP/1.1\r\nHost: {h}\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n{}\r\n0\r\n\r\n',
  'GET {t} HTTP/1.1\r\nHost: {h}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
  'GET {t} HTTP/1.1\r\nHost: {h}\r\nUpgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n',
  'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
  '\u0016\u0003\u0001\u0000\u00a5\u0001\u0000\u0000\u00a1\u0003\u0003',
  '{f}',
  'GET {t} HTTP/1.1\r\nHost: {h}\r\n{f}: {f}\r\n\r\n',
  'GET /{f} HTTP/1.1\r\nHost: {h}\r\n\r\n',
  'G\u00c9T {t} HTTP/1.1\r\nHost: {h}\r\n\r\n',
  'GET {t} HTTP/1.1\r\nHost: {h}\r\nX-Many: a\r\n'.concat('X-H: v\r\n'.repeat(3000), '\r\n'),
  'GET {t} HTTP/1.1\r\nHost: {h}\r\nX-Huge: '.concat('a'.repeat(20_000), '\r\n\r\n'),
  'GET {t} HTTP/1.1\r\nHost: {h}\r\n\r\nGET {t} HTTP/1.1\r\nHost: {h}\r\n\r\nBROKEN\r\n\r\n',
  'POST {t} HTTP/1.1\r\nHost: {h}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /v1/apps HTTP/1.1\r\nHost: {h}\r\n\r\n',
];

/** The templates that are not an HTTP request at all: closing on them without an answer is fine. */
const NOT_HTTP = new Set(
  GARBAGE.flatMap((t, i) => (t.startsWith('PRI') || t.startsWith('\u0016') || t === '{f}' ? [i] : [])),
);

const garbageCase = (operations: Operation[]): fc.Arbitrary<GarbageCase> =>
  fc.record({
    kind: fc.constant('garbage' as const),
    template: fc.nat(GARBAGE.length - 1),
    target: fc.oneof(
      fc.constantFrom(
        ...operations.map((o) => o.path),
        '/',
        '/docs',
        '/docs/static/index.html',
        '/docs/json',
        '/openapi.json',
      ),
      fc.constantFrom(
        '/docs/static/../../../../etc/passwd',
        '/docs/static/%2e%2e/%2e%2e/%2e%2e/package.json',
        '//v1//apps',
        '/v1/apps/../apps',
        '/V1/APPS',
        '/v1/apps/',
        '/v1/apps?',
      ),
    ),
    filler: hostileString,
  });

/**
 * The case generator for one document: most cases are operations, some are broken HTTP. `seeded` names the
 * operations (`METHOD path`) the suite has seed bodies for.
 */
export function httpCase(operations: Operation[], resolve: Resolve, seeded: Set<string>): fc.Arbitrary<HttpCase> {
  return fc.oneof(
    { weight: 24, arbitrary: operationCase(operations, resolve, seeded) },
    { weight: 1, arbitrary: garbageCase(operations) },
  );
}

/** A request ready to send, with what to show for it in a report. */
export interface Rendered {
  bytes: Buffer;
  /** Declares more body than it sends: the client half-closes instead of waiting for a timeout. */
  halfClose: boolean;
  /** Not a whole HTTP request (cut short, or another protocol): the gateway may close without answering. */
  mayClose: boolean;
  label: string;
  /** The operation and the parsed body sent, for context updates after a success. */
  op?: Operation;
  credential?: Credential;
  json?: unknown;
}

const pick = <T>(list: T[], n: number): T | undefined => (list.length ? list[n % list.length] : undefined);

/** What a request's Authorization header is: a valid credential of one kind, another app's, or nothing valid. */
export type Credential = 'admin' | 'app' | 'user' | 'metrics' | 'other-app' | 'invalid' | 'none';

function authHeader(op: Operation, a: Auth, ctx: FuzzContext): { header?: string; credential: Credential } {
  const scheme = op.security[0];
  const basic = (k: string, s: string) => `Basic ${Buffer.from(`${k}:${s}`).toString('base64')}`;
  const of = (kind: 'admin' | 'app' | 'user' | 'metrics') => ({
    header: {
      admin: `Bearer ${ctx.admin}`,
      app: basic(ctx.app.key, ctx.app.secret),
      user: `Bearer ${ctx.userTokens.bob}`,
      metrics: `Bearer ${ctx.metrics}`,
    }[kind],
    credential: kind,
  });
  switch (a.kind) {
    case 'none':
      return { credential: 'none' };
    case 'garbage':
      return { header: a.value, credential: 'invalid' };
    case 'expired':
      return { header: `Bearer ${ctx.expiredToken}`, credential: 'invalid' };
    case 'other-app':
      return scheme === 'admin'
        ? { header: `Bearer ${ctx.app.secret}`, credential: 'invalid' }
        : { header: basic(ctx.other.key, ctx.other.secret), credential: 'other-app' };
    case 'wrong-scheme':
      return of(
        pick(
          (['admin', 'app', 'user', 'metrics'] as const).filter((k) => !op.security.includes(k)),
          a.pick,
        ) ?? 'app',
      );
    case 'valid':
      if (scheme === 'admin' || scheme === 'user' || scheme === 'metrics') return of(scheme);
      if (scheme === 'app') return of(a.alt && op.security.includes('user') ? 'user' : 'app');
      return { credential: 'none' };
  }
}

function paramValue(op: Operation, i: number, p: Param, ctx: FuzzContext, method: string): string {
  const name = op.pathParams[i]!.name;
  if (p.kind === 'valid') return p.value;
  if (p.kind === 'hostile') return p.raw ? p.value : percentEncode(p.value);
  const pool = method === 'DELETE' && ctx.spare[name]?.length ? ctx.spare[name]! : (ctx.ids[name] ?? []);
  return percentEncode(pick(pool, p.pick) ?? 'x');
}

function bodyBytes(c: OperationCase, op: Operation, ctx: FuzzContext): { bytes?: Buffer; json?: unknown } {
  const seeds = ctx.seeds[`${op.method} ${op.path}`] ?? [{}];
  const json = (value: unknown) => {
    const sent = ctx.adjustBody ? ctx.adjustBody(op, structuredClone(value)) : value;
    return { bytes: Buffer.from(JSON.stringify(sent) ?? 'null'), json: sent };
  };
  switch (c.body.kind) {
    case 'none':
      return {};
    case 'seed':
      return json(pick(seeds, c.body.pick));
    case 'generated':
      return json(c.body.value);
    case 'mutated':
      return json(c.body.mutations.reduce((v, m) => mutate(v, m), pick(seeds, c.body.pick)));
    case 'bytes':
      return { bytes: c.body.bytes };
    case 'oversized':
      return { bytes: Buffer.from(JSON.stringify({ name: 'n'.repeat(c.body.bytes) })) };
  }
}

/** The Kaleyra webhook's signature headers for these bytes, as Kaleyra (or a Standard Webhooks relay) sends. */
function signed(raw: Buffer, ctx: FuzzContext, n: number): Array<[string, string]> {
  const t = Math.floor(Date.now() / 1000);
  if (ctx.kaleyra.scheme === 'standard') {
    const id = `msg_${n}_${t}`;
    let signature = 'v1,unsignable';
    try {
      signature = new Webhook(ctx.kaleyra.secret).sign(id, new Date(t * 1000), raw.toString('utf8'));
    } catch {
      // The gateway took a secret the reference library cannot decode: the request still goes, unsigned.
    }
    return [
      ['webhook-id', id],
      ['webhook-timestamp', String(t)],
      ['webhook-signature', signature],
    ];
  }
  return [['bandyer-signature', `t=${t},v0=${bandyerSignature(ctx.kaleyra.secret, t, raw)}`]];
}

let sequence = 0;

/** The exact bytes of a case, against the gateway's current state. */
export function render(c: HttpCase, operations: Operation[], ctx: FuzzContext): Rendered {
  if (c.kind === 'garbage') {
    const text = GARBAGE[c.template]!.replaceAll('{t}', c.target)
      .replaceAll('{h}', ctx.host)
      .replaceAll('{f}', c.filler);
    return {
      bytes: Buffer.from(text, 'utf8'),
      halfClose: true,
      mayClose: NOT_HTTP.has(c.template),
      label: `garbage #${c.template}`,
    };
  }
  const op = operations[c.op]!;
  const method =
    c.method === 'same'
      ? op.method
      : c.method === 'preflight'
        ? 'OPTIONS'
        : c.method === 'HEAD' && op.method !== 'GET'
          ? 'OPTIONS'
          : c.method;
  let path = op.path;
  op.pathParams.forEach((p, i) => {
    path = path.replace(`{${p.name}}`, paramValue(op, i, c.params[i]!, ctx, method));
  });
  const headers: Array<[string, string]> = [['Host', ctx.host]];
  const { header: authorization, credential } = authHeader(op, c.auth, ctx);
  if (authorization) headers.push(['Authorization', authorization]);
  if (c.method === 'preflight') {
    headers.push(['Origin', 'https://app.example'], ['Access-Control-Request-Method', op.method]);
    headers.push(['Access-Control-Request-Headers', 'authorization, content-type, x-evil']);
  }
  const { bytes, json } = bodyBytes(c, op, ctx);
  if (bytes && c.contentType !== undefined) headers.push(['Content-Type', c.contentType]);
  if (op.path.startsWith('/v1/webhooks/kaleyra') && c.auth.kind === 'valid')
    headers.push(...signed(bytes ?? Buffer.alloc(0), ctx, ++sequence));
  headers.push(...c.headers);
  headers.push(['Connection', 'close']);
  let payload = bytes;
  let halfClose = false;
  if (bytes) {
    switch (c.framing) {
      case 'length':
        headers.push(['Content-Length', String(bytes.length)]);
        break;
      case 'chunked':
        headers.push(['Transfer-Encoding', 'chunked']);
        payload = Buffer.concat([
          Buffer.from(`${bytes.length.toString(16)}\r\n`),
          bytes,
          Buffer.from(bytes.length ? '\r\n0\r\n\r\n' : '\r\n'),
        ]);
        break;
      case 'short':
        headers.push(['Content-Length', String(bytes.length + 10)]);
        halfClose = true;
        break;
      case 'double-length':
        headers.push(['Content-Length', String(bytes.length)], ['Content-Length', String(bytes.length + 1)]);
        break;
      case 'length-and-chunked':
        headers.push(['Content-Length', String(bytes.length)], ['Transfer-Encoding', 'chunked']);
        break;
    }
  }
  const target = `${path}${c.query ?? ''}`;
  return {
    bytes: requestBytes(method, target, headers, payload),
    halfClose,
    mayClose: halfClose,
    label: `${method} ${op.path} (auth ${c.auth.kind}, body ${c.body.kind}, ${c.framing})`,
    op,
    credential,
    json,
  };
}
