import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TokenError, type VerifiedToken, verifyAccessToken } from '../../../../src/infra/tokens/index.js';
import { budget, SEED } from '../../../support/fuzz/budget.js';
import { type Forged, forgedToken } from '../../../support/fuzz/tokens.js';

const APP_KEY = 'app-fuzz';
const APP_SECRET = Buffer.from('an app secret of thirty-two bytes').toString('base64');
const NOW_S = 1_779_000_000;
const MAX_LIFETIME_S = 86_400;
const settings = { namespace: 'callpush', maxLifetimeSeconds: MAX_LIFETIME_S, now: () => NOW_S * 1000 };
const secretOf = async (key: string) => (key === APP_KEY ? APP_SECRET : undefined);
const ID = /^[A-Za-z0-9._:@+=-]{1,128}$/;
const RUNS = budget(3000, 50_000);

type Verdict = { verified: VerifiedToken } | { refused: unknown };

async function verdictOf(token: string): Promise<Verdict> {
  try {
    return { verified: await verifyAccessToken(settings, token, secretOf) };
  } catch (refused) {
    return { refused };
  }
}

const tokens = forgedToken(APP_KEY, APP_SECRET, NOW_S);

/** Checks `rule` on the verdict of each forged token: one rule per test, so each broken rule shows on its own. */
const holds = (rule: (forged: Forged, v: Verdict) => void) =>
  fc.assert(
    fc.asyncProperty(tokens, async (forged) => rule(forged, await verdictOf(forged.token))),
    { seed: SEED, numRuns: RUNS },
  );

/**
 * issue 13: the token verifier against tokens minted offline, signed right or not, with every claim at and
 * past its edges. It answers a TokenError or a token that holds to every rule; never anything else.
 */
describe(`verifyAccessToken under ${RUNS} forged tokens (fixed seed)`, () => {
  it('refuses only with a TokenError (a 401 or a 4001 close), never another error', () =>
    holds((_, v) => {
      if ('refused' in v) expect(v.refused, String(v.refused)).toBeInstanceOf(TokenError);
    }));

  it('accepts only a signature made with the right key and spelled as canonical base64url', () =>
    holds((forged, v) => {
      if (!('verified' in v)) return;
      expect(forged.rightKey, 'accepted a token not signed with its key').toBe(true);
      expect(forged.canonicalSignature, 'accepted a signature respelled with the same bytes').toBe(true);
    }));

  it('accepts only claims that hold: the app, a user id under the id rule, a lifetime in bounds', () =>
    holds((_, v) => {
      if (!('verified' in v)) return;
      const t = v.verified;
      expect(t.appKey).toBe(APP_KEY);
      expect(t.userId, 'a user id outside the id rule').toMatch(ID);
      expect(t.expiresAt).toBeGreaterThan(NOW_S * 1000);
      expect(t.issuedAt).toBeLessThanOrEqual((NOW_S + 60) * 1000);
      expect(t.expiresAt - t.issuedAt).toBeLessThanOrEqual(MAX_LIFETIME_S * 1000);
    }));

  it('reaches both answers: the generator is not all refusals', async () => {
    const sample = fc.sample(tokens, { seed: SEED, numRuns: 500 });
    const verdicts = await Promise.all(sample.map((f) => verdictOf(f.token)));
    const accepted = verdicts.filter((v) => 'verified' in v).length;
    expect(accepted).toBeGreaterThan(50);
    expect(verdicts.length - accepted).toBeGreaterThan(50);
  });
});
