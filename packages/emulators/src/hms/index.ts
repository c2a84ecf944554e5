import { randomBytes, randomInt } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { BehaviourStore } from '../core/behaviours.js';
import { FaultStore } from '../core/faults.js';
import type { EmulatorHandle, EmulatorOptions } from '../core/handle.js';
import { listen } from '../core/listen.js';
import { MessageStore } from '../core/messages.js';
import { type EmulatorTls, generateEmulatorTls } from '../core/tls.js';
import type { HmsFault } from './faults.js';
import { createHmsTokenStore, HMS_ACCESS_TOKEN_TTL_SECONDS } from './oauth.js';
import { type HmsReceiptConfig, HmsReceipts } from './receipts.js';
import { createHmsHandler, type HmsState } from './server.js';
import { createServiceAccount, type HmsServiceAccount } from './service-account.js';

export { HMS_RESULTS, type HmsResultCode } from './codes.js';
export type { HmsFault } from './faults.js';
export { type HmsReceiptConfig, HmsReceipts, hmsCallbackId, type PostedReceipt } from './receipts.js';
export { type HmsServiceAccount, SERVICE_ACCOUNT_AUDIENCE } from './service-account.js';
export { MAX_BODY_BYTES_WITHOUT_TOKENS, MAX_TOKENS, MAX_TTL_SECONDS } from './validate.js';

export interface HmsEmulatorOptions extends EmulatorOptions {
  /** The app id (OAuth client id), digits only (default: random 9 digits). */
  appId?: string;
  /** The app secret (default: random 64 hex characters). */
  clientSecret?: string;
  /** `http` (default) or `tls` (HTTPS with the emulator CA, like Huawei's hosts). */
  transport?: 'http' | 'tls';
  /** `expires_in` of issued access tokens (default 3600). */
  accessTokenTtlSeconds?: number;
  /** Whether the app may send HIGH urgency data messages (default true; false makes them answer 80300011). */
  highPriorityAllowed?: boolean;
  /** The AppGallery Connect project id v3 sends name (default: random 9 digits). */
  projectId?: string;
  /** Message receipts: where to post them and how to sign them (also set later, or at `/_emulator/receipts`). */
  receipts?: HmsReceiptConfig;
}

export interface HmsEmulator extends EmulatorHandle {
  port: number;
  host: string;
  appId: string;
  clientSecret: string;
  /** The client-credentials endpoint, `${baseUrl}/oauth2/v3/token`. */
  tokenUrl: string;
  /** Base of the send API: POST `${pushUrl}/v1/${appId}/messages:send`. */
  pushUrl: string;
  /** The CA to trust, with the `tls` transport. */
  tls?: EmulatorTls;
  /** HMS-specific scripted answers (any result code, bare 502/503), also at `/_emulator/faults`. */
  faults: FaultStore<HmsFault>;
  /** An access token as the token endpoint would issue it, for clients that skip OAuth. */
  issueAccessToken(ttlSeconds?: number): { access_token: string; expires_in: number; token_type: 'Bearer' };
  /** The project's service-account key file (generated), whose JWTs authenticate v3 sends. */
  serviceAccount: HmsServiceAccount;
  /**
   * Declares `token` a HarmonyOS NEXT device's: v3 reaches it, v1 refuses it as an invalid token (80300007
   * when no other token of the request is valid), as Huawei does.
   */
  addNextToken(token: string): void;
  /**
   * Message receipts, posted after an accepted message that carries a receipt id: the configuration, the
   * status a token reports (`setStatus(token, 2)`: app not installed), and what was posted.
   */
  receipts: HmsReceipts;
}

/**
 * Starts an HMS Push Kit emulator: client-credentials OAuth, v1 `messages:send`, the v3 (HarmonyOS NEXT)
 * `messages:send` with service-account JWTs, inspection API, on one port.
 */
export async function startHmsEmulator(options: HmsEmulatorOptions = {}): Promise<HmsEmulator> {
  const appId = options.appId ?? String(randomInt(100_000_000, 999_999_999));
  if (!/^[0-9]{1,64}$/.test(appId)) throw new Error('appId must be 1 to 64 digits, as Huawei client ids are');
  const ttlSeconds = options.accessTokenTtlSeconds ?? HMS_ACCESS_TOKEN_TTL_SECONDS;
  const state: HmsState = {
    credentials: { appId, clientSecret: options.clientSecret ?? randomBytes(32).toString('hex') },
    tokens: createHmsTokenStore(),
    accessTokenTtlSeconds: ttlSeconds,
    highPriorityAllowed: options.highPriorityAllowed ?? true,
    messages: new MessageStore('hms'),
    behaviours: new BehaviourStore(),
    faults: new FaultStore<HmsFault>(),
    serviceAccount: createServiceAccount(options.projectId),
    nextTokens: new Set(),
    receipts: new HmsReceipts(options.receipts, Date.now),
    now: Date.now,
  };
  const handler = createHmsHandler(state);
  const tls = options.transport === 'tls' ? (options.tls ?? (await generateEmulatorTls())) : undefined;
  const server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, handler) : http.createServer(handler);
  const listening = await listen(server, tls ? 'https' : 'http', options);
  return {
    baseUrl: listening.baseUrl,
    port: listening.port,
    host: listening.host,
    appId,
    clientSecret: state.credentials.clientSecret,
    tokenUrl: `${listening.baseUrl}/oauth2/v3/token`,
    pushUrl: listening.baseUrl,
    ...(tls ? { tls } : {}),
    messages: state.messages,
    behaviours: state.behaviours,
    faults: state.faults,
    issueAccessToken: (seconds = ttlSeconds) => ({
      access_token: state.tokens.issue(seconds, { appId }),
      expires_in: seconds,
      token_type: 'Bearer',
    }),
    serviceAccount: state.serviceAccount.account,
    addNextToken: (token) => state.nextTokens.add(token),
    receipts: state.receipts,
    close: async () => {
      state.receipts.configure(undefined);
      await state.receipts.settle();
      await listening.close();
    },
  };
}
