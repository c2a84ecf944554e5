import { randomInt } from 'node:crypto';
import { BehaviourStore } from '../core/behaviours.js';
import { FaultStore } from '../core/faults.js';
import type { EmulatorHandle, EmulatorOptions } from '../core/handle.js';
import { listen } from '../core/listen.js';
import { MessageStore } from '../core/messages.js';
import { type EmulatorTls, generateEmulatorTls } from '../core/tls.js';
import type { FcmFault } from './faults.js';
import {
  CLOUD_PLATFORM_SCOPE,
  createGoogleTokenStore,
  DEFAULT_ACCESS_TOKEN_TTL_SECONDS,
  type GoogleTokenResponse,
  issueGoogleToken,
  MESSAGING_SCOPE,
} from './oauth.js';
import { createFcmHandler, type FcmState } from './server.js';
import { generateServiceAccountKey, type ServiceAccount, serviceAccountJson } from './service-account.js';
import { createTransportServer, type FcmTransport } from './transport.js';

export { FCM_ERROR_CODES, type FcmErrorCode } from './errors.js';
export type { FcmFault } from './faults.js';
export {
  CLOUD_PLATFORM_SCOPE,
  type GoogleTokenResponse,
  JWT_BEARER_GRANT,
  MESSAGING_SCOPE,
} from './oauth.js';
export type { ServiceAccount } from './service-account.js';
export { type FcmTransport, MAX_CONCURRENT_STREAMS } from './transport.js';
export { MAX_PAYLOAD_BYTES, MAX_TTL_SECONDS } from './validate.js';

export interface FcmEmulatorOptions extends EmulatorOptions {
  /** Firebase project id the service account belongs to (default `demo-callpush`). */
  projectId?: string;
  /** `tls` (default; HTTPS with ALPN h2 + http/1.1, like fcm.googleapis.com) or `h2c` (cleartext HTTP/2 + HTTP/1.1). */
  transport?: FcmTransport;
  /** `expires_in` of issued access tokens (default 3599); short values let tests exercise refresh. */
  accessTokenTtlSeconds?: number;
}

export interface FcmEmulator extends EmulatorHandle {
  port: number;
  host: string;
  projectId: string;
  /** The numeric project number, accepted in send URLs in place of the id. */
  projectNumber: string;
  /** A key file whose `token_uri` is this emulator's `/token`. */
  serviceAccount: ServiceAccount;
  transport: FcmTransport;
  /** The CA (and server certificate) to trust, with the `tls` transport. */
  tls?: EmulatorTls;
  /** FCM-specific scripted answers (`INTERNAL`, `SENDER_ID_MISMATCH`, bare 502...), also at `/_emulator/faults`. */
  faults: FaultStore<FcmFault>;
  /** An access token as `/token` would issue it (messaging scope), for clients that skip OAuth. */
  issueAccessToken(ttlSeconds?: number): GoogleTokenResponse;
}

/** Starts an FCM HTTP v1 emulator: OAuth token endpoint, `messages:send`, inspection API, on one port. */
export async function startFcmEmulator(options: FcmEmulatorOptions = {}): Promise<FcmEmulator> {
  const projectId = options.projectId ?? 'demo-callpush';
  const transport = options.transport ?? 'tls';
  const ttlSeconds = options.accessTokenTtlSeconds ?? DEFAULT_ACCESS_TOKEN_TTL_SECONDS;
  const [key, tls] = await Promise.all([
    generateServiceAccountKey(),
    transport === 'tls' ? (options.tls ?? generateEmulatorTls()) : undefined,
  ]);
  const state: FcmState = {
    projectId,
    projectNumber: String(randomInt(100_000_000_000, 999_999_999_999)),
    tokens: createGoogleTokenStore(),
    messages: new MessageStore('fcm'),
    behaviours: new BehaviourStore(),
    faults: new FaultStore<FcmFault>(),
  };
  const server = createTransportServer(createFcmHandler(state), transport, tls);
  const listening = await listen(server, transport === 'tls' ? 'https' : 'http', options);
  const serviceAccount = serviceAccountJson(key, projectId, `${listening.baseUrl}/token`);
  state.tokenEndpoint = { account: serviceAccount, key, tokens: state.tokens, ttlSeconds };
  return {
    baseUrl: listening.baseUrl,
    port: listening.port,
    host: listening.host,
    projectId,
    projectNumber: state.projectNumber,
    serviceAccount,
    transport,
    ...(tls ? { tls } : {}),
    messages: state.messages,
    behaviours: state.behaviours,
    faults: state.faults,
    issueAccessToken: (seconds = ttlSeconds) =>
      issueGoogleToken(state.tokens, seconds, [MESSAGING_SCOPE, CLOUD_PLATFORM_SCOPE]),
    close: listening.close,
  };
}
