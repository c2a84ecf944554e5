import type { KeyObject } from 'node:crypto';
import { type AccessTokenStore, bearerToken, headersWithoutCredentials } from '../core/access-tokens.js';
import type { Behaviour, BehaviourStore } from '../core/behaviours.js';
import { closeConnectionAfter, resetStream } from '../core/connection.js';
import { type FaultStore, faultRoutes, retryAfterHeader } from '../core/faults.js';
import { type AnyRequest, type AnyResponse, BodyTooLargeError, delay, readBody } from '../core/http.js';
import { type ExtraRoutes, handleInspection } from '../core/inspection.js';
import type { MessageStore } from '../core/messages.js';
import { sendText } from '../core/send.js';
import { type HmsResultCode, HmsResultError, newRequestId, sendResult } from './codes.js';
import { type HmsFault, parseHmsFault } from './faults.js';
import { type HmsCredentials, type HmsGrant, handleHmsTokenRequest } from './oauth.js';
import { type HmsReceipts, type ReceiptSubject, receiptRoutes } from './receipts.js';
import { checkServiceAccountJwt, type HmsServiceAccount } from './service-account.js';
import { type HmsSendRequest, parseHmsSendRequest } from './validate.js';
import { parseHmsV3SendRequest } from './validate-v3.js';

export interface HmsState {
  credentials: HmsCredentials;
  tokens: AccessTokenStore<HmsGrant>;
  accessTokenTtlSeconds: number;
  /** Whether the app holds the approved permission for HIGH urgency data messages. */
  highPriorityAllowed: boolean;
  messages: MessageStore;
  behaviours: BehaviourStore;
  faults: FaultStore<HmsFault>;
  /** The project's service account, whose JWTs authenticate v3 sends. */
  serviceAccount: { account: HmsServiceAccount; publicKey: KeyObject };
  /** Tokens of HarmonyOS NEXT devices: reachable through v3 only. */
  nextTokens: Set<string>;
  /** Message receipts posted to the configured callback (AppGallery Connect's receipt configuration). */
  receipts: HmsReceipts;
  now: () => number;
}

const TOKEN_PATH = /^\/oauth2\/v[23]\/token$/;
const SEND_PATH = /^\/v1\/([^/]+)\/messages:send$/;
const V3_SEND_PATH = /^\/v3\/([^/]+)\/messages:send$/;
/** Refused before parsing; the 4096-byte rule (tokens excluded) is checked after. */
const MAX_BODY_BYTES = 1024 * 1024;

/** What the emulator answers instead of success for a request, after applying every token's behaviours and faults. */
type Outcome = { kind: 'drop' } | { kind: 'result'; code: HmsResultCode } | { kind: 'fault'; fault: HmsFault };

function sendBare(res: AnyResponse, status: number, headers: Record<string, string> = {}): void {
  sendText(res, status, 'text/plain; charset=UTF-8', '', headers);
}

function answerFault(res: AnyResponse, fault: HmsFault): void {
  const headers = retryAfterHeader(fault.retryAfter);
  if ('code' in fault) sendResult(res, fault.code, { headers, ...(fault.status ? { status: fault.status } : {}) });
  else sendBare(res, fault.status, headers);
}

function checkBearer(req: AnyRequest, appId: string, state: HmsState): void {
  const bearer = bearerToken(req.headers.authorization);
  const lookup = bearer === undefined ? undefined : state.tokens.lookup(bearer);
  if (lookup?.state === 'expired') throw new HmsResultError('80200003');
  // A token minted for another app is as unusable here as an unknown one.
  if (lookup?.state !== 'valid' || lookup.meta.appId !== appId) throw new HmsResultError('80200001');
}

/** What fails a whole request for `token`: a request-level behaviour, else a scripted fault, else nothing. */
function requestFailure(failure: Behaviour | undefined, token: string, state: HmsState): Outcome | undefined {
  switch (failure?.kind) {
    case 'reset':
      return { kind: 'drop' };
    case 'auth_expired':
      return { kind: 'result', code: '80200003' };
    case 'unavailable':
      return { kind: 'result', code: '81000001' };
    case 'rate_limited':
      // Flow control is a bare 503 without a result code.
      return { kind: 'fault', fault: { status: 503, retryAfter: String(failure.retryAfterSeconds ?? 1) } };
    default: {
      const fault = state.faults.take(token);
      return fault && { kind: 'fault', fault };
    }
  }
}

/**
 * Applies behaviours and faults token by token. Dead tokens (`unregistered`, `invalid`) are reported as
 * illegal; the first request-level failure fails the whole request, as one HTTP exchange can only fail once.
 * Latency is the longest any token asks for.
 */
async function applyBehaviours(
  req: AnyRequest,
  res: AnyResponse,
  targets: string[],
  state: HmsState,
): Promise<{ illegal: Set<string>; outcome?: Outcome }> {
  const illegal = new Set<string>();
  let outcome: Outcome | undefined;
  let latencyMs = 0;
  for (const token of targets) {
    const { latencyMs: ms, failure } = state.behaviours.consume(token);
    latencyMs = Math.max(latencyMs, ms);
    if (failure?.kind === 'unregistered' || failure?.kind === 'invalid') illegal.add(token);
    else if (failure?.kind === 'goaway') closeConnectionAfter(req, res);
    else outcome ??= requestFailure(failure, token, state);
  }
  if (latencyMs > 0) await delay(latencyMs);
  return outcome ? { illegal, outcome } : { illegal };
}

async function readSendBody(req: AnyRequest): Promise<Buffer> {
  try {
    return await readBody(req, MAX_BODY_BYTES);
  } catch (err) {
    if (err instanceof BodyTooLargeError) throw new HmsResultError('80300008');
    throw err;
  }
}

/** v1: OAuth access tokens. A HarmonyOS NEXT token is refused like a dead one, as Huawei answers it on v1. */
async function send(req: AnyRequest, res: AnyResponse, appId: string, state: HmsState): Promise<void> {
  checkBearer(req, appId, state);
  const request = parseHmsSendRequest(await readSendBody(req), state.highPriorityAllowed);
  await deliver(req, res, request, state, (token) => state.nextTokens.has(token), { api: 'v1' });
}

/** v3: a service-account JWT, and the scenario in the `push-type` header. */
async function sendV3(req: AnyRequest, res: AnyResponse, projectId: string, state: HmsState): Promise<void> {
  const { account, publicKey } = state.serviceAccount;
  const nowSeconds = Math.floor(state.now() / 1000);
  await checkServiceAccountJwt(bearerToken(req.headers.authorization), projectId, account, publicKey, nowSeconds);
  const request = parseHmsV3SendRequest(req.headers['push-type'], await readSendBody(req));
  await deliver(req, res, request, state, () => false, { api: 'v3', pushType: request.pushType });
}

/**
 * Records the message for each accepted token and answers the batch: success, partial success or all invalid.
 * The accepted tokens' receipt follows when the message asks for one.
 */
async function deliver(
  req: AnyRequest,
  res: AnyResponse,
  request: Pick<HmsSendRequest, 'targets' | 'message' | 'device'> & { validateOnly?: boolean },
  state: HmsState,
  refused: (token: string) => boolean,
  receipt: Pick<ReceiptSubject, 'api' | 'pushType'>,
): Promise<void> {
  const { illegal, outcome } = await applyBehaviours(req, res, request.targets, state);
  for (const token of request.targets) if (refused(token)) illegal.add(token);
  if (outcome?.kind === 'drop') return resetStream(req);
  if (outcome?.kind === 'result') return sendResult(res, outcome.code);
  if (outcome?.kind === 'fault') return answerFault(res, outcome.fault);
  const accepted = request.targets.filter((t) => !illegal.has(t));
  if (accepted.length === 0) return sendResult(res, '80300007');
  const requestId = newRequestId();
  if (!request.validateOnly) {
    const headers = headersWithoutCredentials(req);
    for (const token of accepted) state.messages.record(token, headers, request.message, request.device);
    const { appId } = state.credentials;
    state.receipts.schedule({ ...receipt, requestId, tokens: accepted, message: request.message, appId });
  }
  if (illegal.size === 0) return sendResult(res, '80000000', { requestId });
  // Partial success: `msg` is itself a JSON text listing the failed tokens.
  const failed = request.targets.filter((t) => illegal.has(t));
  const msg = JSON.stringify({ success: accepted.length, failure: failed.length, illegal_tokens: failed });
  sendResult(res, '80100000', { msg, requestId });
}

async function route(req: AnyRequest, res: AnyResponse, state: HmsState, inspection: ExtraRoutes): Promise<void> {
  if (await handleInspection(req, res, state.messages, state.behaviours, inspection)) return;
  const path = new URL(req.url ?? '/', 'http://emulator').pathname;
  const sendMatch = SEND_PATH.exec(path);
  const v3Match = V3_SEND_PATH.exec(path);
  if (req.method === 'POST' && TOKEN_PATH.test(path)) {
    await handleHmsTokenRequest(req, res, state.credentials, state.tokens, state.accessTokenTtlSeconds);
  } else if (req.method === 'POST' && sendMatch) {
    await send(req, res, decodeURIComponent(sendMatch[1] ?? ''), state);
  } else if (req.method === 'POST' && v3Match) {
    await sendV3(req, res, decodeURIComponent(v3Match[1] ?? ''), state);
  } else {
    sendBare(res, 404);
  }
}

/** The request handler: OAuth token endpoint, `/v1/{appId}/messages:send`, `/v3/{projectId}/messages:send`, inspection API. */
export function createHmsHandler(state: HmsState): (req: AnyRequest, res: AnyResponse) => void {
  const inspection = { ...faultRoutes(state.faults, parseHmsFault), ...receiptRoutes(state.receipts) };
  return (req, res) => {
    route(req, res, state, inspection).catch((err: unknown) => {
      if (res.headersSent) return;
      if (err instanceof HmsResultError) return sendResult(res, err.code);
      // An emulator bug: answer like Huawei's internal error, and say why on stderr.
      process.emitWarning(err instanceof Error ? err : String(err));
      sendResult(res, '81000001');
    });
  };
}
