import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { hostileString, PROTOTYPE_KEYS } from './hostile.js';

/**
 * User tokens as someone holding (or guessing at) an app secret could mint them offline: every claim and header
 * field at and past its edges, signed with the real per-day key or not, and signatures spelled in every way a
 * lenient base64url decoder reads alike. What the hkdfv1 scheme is: docs/access-tokens.md.
 */

export interface Forged {
  token: string;
  /** Its signature's bytes are those of the key the verifier derives for its kid, over these exact bytes. */
  rightKey: boolean;
  /** The signature as the signer wrote it (canonical base64url), before any respelling. */
  canonicalSignature: boolean;
}

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** `YYYYMMDD` of a NumericDate, when a Date can stamp it. */
function stamp(seconds: unknown): string | undefined {
  if (typeof seconds !== 'number') return undefined;
  const d = new Date(seconds * 1000);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString().slice(0, 10).replaceAll('-', '');
}

/** The hkdfv1 per-day key (the same recipe as the gateway, written out so a bug there is not copied here). */
function dayKey(appSecret: string, date: string): Buffer {
  return createHmac('sha256', Buffer.from(appSecret, 'base64')).update(date, 'utf8').digest();
}

/** NumericDates at and past every edge: far past and future, past what a Date can hold, not integers, not numbers. */
const edgeDate = (now: number) =>
  fc.oneof(
    fc.constantFrom<unknown>(
      9e15,
      -9e15,
      8.64e12,
      8.64e12 + 1,
      253_402_300_799,
      253_402_300_800,
      0,
      -1,
      now + 0.5,
      2 ** 53,
      Number.MAX_VALUE,
      String(now),
      null,
      true,
      [now],
    ),
    fc.integer(),
    fc.integer({ min: now - 200_000, max: now + 200_000 }),
  );

const hostileUserId = fc.oneof(
  hostileString,
  fc.constantFrom('', '/', 'a/b', 'a b', 'x'.repeat(129), 'x'.repeat(5000), ...PROTOTYPE_KEYS),
);

/** What one forged token gets wrong, if anything: most get exactly one thing wrong, some nothing. */
type Break =
  | { kind: 'none' }
  | { kind: 'iss'; value: unknown }
  | { kind: 'sub'; user: string; style: 'right' | 'other-iss' | 'number' }
  | { kind: 'iat'; value: unknown }
  | { kind: 'exp'; value: unknown }
  | { kind: 'alg'; value: unknown }
  | { kind: 'kid'; value: 'yesterday' | 'bad' | 'missing' | 'feb30' | 'year0' | 'far' }
  | { kind: 'key'; value: 'wrong-secret' | 'other-date' }
  | { kind: 'respell'; value: 'unused-bits' | 'padding' | 'flip' | 'truncate' | 'append' }
  | { kind: 'payload'; value: string }
  | { kind: 'extra'; claims: Record<string, unknown> };

const breaks = (appKey: string, namespace: string, now: number): fc.Arbitrary<Break> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constant({ kind: 'none' as const }) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom<unknown>(
          `//other/applications/${appKey}`,
          `//${namespace}/applications/`,
          `//${namespace}/applications/${appKey}/x`,
          `//${namespace}/applications/unknown-app`,
          `//${namespace}/applications/__proto__`,
          42,
          null,
        )
        .map((value) => ({ kind: 'iss' as const, value })),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('sub' as const),
        user: hostileUserId,
        style: fc.constantFrom('right' as const, 'right' as const, 'other-iss' as const, 'number' as const),
      }),
    },
    { weight: 2, arbitrary: edgeDate(now).map((value) => ({ kind: 'iat' as const, value })) },
    { weight: 1, arbitrary: edgeDate(now).map((value) => ({ kind: 'exp' as const, value })) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom<unknown>('none', 'HS512', 'RS256', 'hs256', null)
        .map((value) => ({ kind: 'alg' as const, value })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom('yesterday', 'bad', 'missing', 'feb30', 'year0', 'far')
        .map((value) => ({ kind: 'kid' as const, value })),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom('wrong-secret', 'other-date').map((value) => ({ kind: 'key' as const, value })),
    },
    {
      weight: 2,
      arbitrary: fc
        .constantFrom('unused-bits', 'padding', 'flip', 'truncate', 'append')
        .map((value) => ({ kind: 'respell' as const, value })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom('[]', 'null', '"s"', '{', '{"a":1}x')
        .map((value) => ({ kind: 'payload' as const, value })),
    },
    {
      weight: 1,
      arbitrary: fc
        .dictionary(
          fc.oneof(fc.constantFrom(...PROTOTYPE_KEYS, 'nbf', 'aud', 'jti'), fc.string()),
          fc.jsonValue({ maxDepth: 1 }),
          { maxKeys: 3 },
        )
        .map((claims) => ({ kind: 'extra' as const, claims })),
    },
  );

/** Forged tokens for `appKey`; `now` is the verifier's clock, epoch seconds. */
export function forgedToken(
  appKey: string,
  appSecret: string,
  now: number,
  namespace = 'callpush',
): fc.Arbitrary<Forged> {
  return fc
    .record({
      user: fc.stringMatching(/^[A-Za-z0-9._:@+=-]{1,128}$/),
      iat: fc.integer({ min: now - 3600, max: now + 30 }),
      ttl: fc.integer({ min: 1, max: 86_400 }),
      broken: breaks(appKey, namespace, now),
    })
    .map(({ user, iat: goodIat, ttl, broken: b }) => {
      const iss = b.kind === 'iss' ? b.value : `//${namespace}/applications/${appKey}`;
      const subUser = b.kind === 'sub' ? b.user : user;
      const sub =
        b.kind === 'sub' && b.style === 'number'
          ? 7
          : b.kind === 'sub' && b.style === 'other-iss'
            ? `//other/applications/${appKey}/users/${subUser}`
            : `${String(iss)}/users/${subUser}`;
      const iat = b.kind === 'iat' ? b.value : goodIat;
      const exp = b.kind === 'exp' ? b.value : typeof iat === 'number' ? iat + ttl : goodIat + ttl;
      const iatStamp = stamp(iat) ?? '20260101';
      const kids = {
        yesterday: stamp(Number(iat) - 86_400) ?? '20251231',
        bad: 'x',
        missing: '',
        feb30: '20260230',
        year0: '00000101',
        far: '99991231',
      };
      const kidDate = b.kind === 'kid' ? kids[b.value] : iatStamp;
      const header = {
        alg: b.kind === 'alg' ? b.value : 'HS256',
        ...(b.kind === 'kid' && b.value === 'missing' ? {} : { kid: `hkdfv1-${kidDate}` }),
      };
      const claims = { ...(b.kind === 'extra' ? b.claims : {}), iss, sub, iat, exp, nonce: 'n' };
      const signingInput = `${b64(header)}.${b64(b.kind === 'payload' ? b.value : claims)}`;
      const keyDate = b.kind === 'key' && b.value === 'other-date' ? '19991231' : kidDate;
      const secret =
        b.kind === 'key' && b.value === 'wrong-secret' ? Buffer.from('not the secret').toString('base64') : appSecret;
      const sig = createHmac('sha256', dayKey(secret, keyDate)).update(signingInput).digest('base64url');
      const respelled = b.kind === 'respell' ? respell(sig, b.value) : sig;
      const sameBytes = Buffer.from(respelled, 'base64url').equals(Buffer.from(sig, 'base64url'));
      return {
        token: `${signingInput}.${respelled}`,
        rightKey: b.kind !== 'key' && /^\d{8}$/.test(kidDate) && sameBytes,
        canonicalSignature: respelled === sig,
      };
    });
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Another spelling of a base64url signature: some decode to the same bytes, some do not. */
function respell(sig: string, how: string): string {
  switch (how) {
    case 'unused-bits': {
      // 32 bytes take 43 characters; the last carries 4 bits of the signature and 2 that decoders ignore.
      const last = B64URL.indexOf(sig.at(-1)!);
      return sig.slice(0, -1) + B64URL[last ^ 1];
    }
    case 'padding':
      return `${sig}=`;
    case 'flip':
      return (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1);
    case 'truncate':
      return sig.slice(0, -4);
    case 'append':
      return `${sig}AAAA`;
    default:
      return sig;
  }
}
