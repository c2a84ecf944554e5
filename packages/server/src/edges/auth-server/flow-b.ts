import type { FastifyInstance } from 'fastify';
import { CLIENT_ASSERTION_TYPE, HMS_SCOPE } from '#providers';
import { NonceLedger, validateClientAssertion } from './assertion.js';
import type { AuthServerConfig } from './config.js';
import { readForm, requireClientCredentialsGrant } from './form.js';
import { invalidRequest, noStore, OAuthError } from './oauth-error.js';
import type { ProviderTokens } from './provider-tokens.js';

/** Where flow B is served; callpush is configured with the public URL of this path (`publicTokenUrl`). */
export const FLOW_B_PATH = '/oauth2/v1/huawei-hms/token';

/** Flow B (docs/providers.md#flow-b): a client assertion signed with the app's hkdfv1 key, traded for an HMS token. */
export function registerFlowB(
  app: FastifyInstance,
  config: AuthServerConfig,
  tokens: ProviderTokens,
  now: () => number,
) {
  const nonces = new NonceLedger();
  const policy = {
    namespace: config.namespace,
    claimPrefix: config.claimPrefix,
    audience: config.publicTokenUrl,
    secretOf: (appKey: string) => (Object.hasOwn(config.apps, appKey) ? config.apps[appKey] : undefined),
    nonces,
    now,
  };

  app.post(FLOW_B_PATH, async (request, reply) => {
    const params = readForm(request);
    requireClientCredentialsGrant(params);
    const type = params.get('client_assertion_type');
    const assertion = params.get('client_assertion');
    if (type === undefined || assertion === undefined) {
      throw invalidRequest('client_assertion_type and client_assertion are required');
    }
    if (type !== CLIENT_ASSERTION_TYPE) throw invalidRequest('client_assertion_type must be the JWT bearer type');
    const scope = params.get('scope');
    if (scope !== undefined && scope !== HMS_SCOPE) throw new OAuthError('invalid_scope', `scope must be ${HMS_SCOPE}`);
    const { hmsAppId } = validateClientAssertion(assertion, policy);
    return noStore(reply).send(await tokens.hmsToken(hmsAppId));
  });
}
