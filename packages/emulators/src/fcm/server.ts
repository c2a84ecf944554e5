import { randomBytes } from 'node:crypto';
import { type AccessTokenStore, bearerToken, headersWithoutCredentials } from '../core/access-tokens.js';
import type { Behaviour, BehaviourStore } from '../core/behaviours.js';
import { type FaultStore, faultRoutes, retryAfterHeader } from '../core/faults.js';
import { type AnyRequest, type AnyResponse, BodyTooLargeError, readBody, sendJson } from '../core/http.js';
import { type ExtraRoutes, handleInspection } from '../core/inspection.js';
import type { MessageStore } from '../core/messages.js';
import { playScripted } from '../core/scripted.js';
import {
  fcmError,
  GoogleApiError,
  permissionDenied,
  sendGoogleError,
  sendHtmlError,
  unauthenticated,
} from './errors.js';
import { type FcmFault, parseFcmFault } from './faults.js';
import { canSendMessages, type GoogleGrant, handleTokenRequest, type TokenEndpoint } from './oauth.js';
import { parseSendRequest, type SendRequest } from './validate.js';

export interface FcmState {
  projectId: string;
  projectNumber: string;
  tokens: AccessTokenStore<GoogleGrant>;
  /** Filled once the port (and so the token URI) is known. */
  tokenEndpoint?: TokenEndpoint;
  messages: MessageStore;
  behaviours: BehaviourStore;
  faults: FaultStore<FcmFault>;
}

const SEND_PATH = /^\/v1\/projects\/([^/]+)\/messages:send$/;
/** Far above the 4096-byte payload limit: bigger bodies are refused before parsing, as Google's front end does. */
const MAX_BODY_BYTES = 1024 * 1024;

const insufficientScopes = new GoogleApiError(
  403,
  'PERMISSION_DENIED',
  'Request had insufficient authentication scopes.',
  [
    {
      '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
      reason: 'ACCESS_TOKEN_SCOPE_INSUFFICIENT',
      domain: 'googleapis.com',
      metadata: { service: 'fcm.googleapis.com', method: 'google.firebase.fcm.v1.FcmService.SendMessage' },
    },
  ],
);

let sequence = 0;
function messageId(): string {
  sequence = (sequence + 1) % 1000;
  return `0:${Date.now() * 1000 + sequence}%${randomBytes(8).toString('hex')}`;
}

/** The key behaviours, faults and recorded messages use for a target: the token, `/topics/x`, or the condition. */
function targetKey(target: SendRequest['target']): string {
  return target.kind === 'topic' ? `/topics/${target.value}` : target.value;
}

function checkBearer(req: AnyRequest, state: FcmState): void {
  const bearer = bearerToken(req.headers.authorization);
  if (bearer === undefined) throw unauthenticated(true);
  const lookup = state.tokens.lookup(bearer);
  if (lookup.state !== 'valid') throw unauthenticated(false);
  if (!canSendMessages(lookup.meta)) throw insufficientScopes;
}

/** How FCM answers a scripted behaviour; `goaway` is answered normally on a connection about to close. */
function scriptedError(behaviour: Behaviour): GoogleApiError | undefined {
  switch (behaviour.kind) {
    case 'unregistered':
      return fcmError('UNREGISTERED');
    case 'invalid':
      return fcmError('INVALID_ARGUMENT');
    case 'rate_limited':
      return fcmError('QUOTA_EXCEEDED', String(behaviour.retryAfterSeconds ?? 1));
    case 'unavailable':
      return fcmError('UNAVAILABLE', behaviour.retryAfterSeconds?.toString());
    case 'auth_expired':
      return unauthenticated(false);
    default:
      return undefined;
  }
}

function answerFault(res: AnyResponse, fault: FcmFault): void {
  if ('errorCode' in fault) sendGoogleError(res, fcmError(fault.errorCode, fault.retryAfter));
  else sendHtmlError(res, fault.status, retryAfterHeader(fault.retryAfter));
}

async function send(req: AnyRequest, res: AnyResponse, project: string, state: FcmState): Promise<void> {
  checkBearer(req, state);
  if (project !== state.projectId && project !== state.projectNumber) {
    throw permissionDenied(
      `Permission 'cloudmessaging.messages.create' denied on resource ` +
        `'//cloudresourcemanager.googleapis.com/projects/${project}' (or it may not exist).`,
    );
  }
  const request = parseSendRequest(await readBody(req, MAX_BODY_BYTES));
  const key = targetKey(request.target);
  const failure = await playScripted(state.behaviours, key, req, res);
  if (failure === 'dropped') return;
  const scripted = failure && scriptedError(failure);
  if (scripted) throw scripted;
  const fault = failure ? undefined : state.faults.take(key);
  if (fault) return answerFault(res, fault);
  // validate_only checks everything, token state included, but delivers nothing.
  if (request.validateOnly) {
    sendJson(res, 200, { name: `projects/${project}/messages/fake_message_id` });
    return;
  }
  state.messages.record(key, headersWithoutCredentials(req), request.message, request.device);
  sendJson(res, 200, { name: `projects/${project}/messages/${messageId()}` });
}

async function route(req: AnyRequest, res: AnyResponse, state: FcmState, inspection: ExtraRoutes): Promise<void> {
  if (await handleInspection(req, res, state.messages, state.behaviours, inspection)) return;
  const path = new URL(req.url ?? '/', 'http://emulator').pathname;
  const sendMatch = SEND_PATH.exec(path);
  if (req.method === 'POST' && path === '/token' && state.tokenEndpoint) {
    await handleTokenRequest(req, res, state.tokenEndpoint);
  } else if (req.method === 'POST' && sendMatch) {
    await send(req, res, decodeURIComponent(sendMatch[1] ?? ''), state);
  } else {
    sendHtmlError(res, 404);
  }
}

/** The request handler shared by every transport: OAuth token endpoint, `messages:send`, inspection API. */
export function createFcmHandler(state: FcmState): (req: AnyRequest, res: AnyResponse) => void {
  const inspection = faultRoutes(state.faults, parseFcmFault);
  return (req, res) => {
    route(req, res, state, inspection).catch((err: unknown) => {
      if (res.headersSent) return;
      if (err instanceof GoogleApiError) sendGoogleError(res, err);
      else if (err instanceof BodyTooLargeError) sendHtmlError(res, 413);
      else {
        // An emulator bug: answer like Google's 500 so the client sees a failure, and say why on stderr.
        process.emitWarning(err instanceof Error ? err : String(err));
        sendGoogleError(res, fcmError('INTERNAL'));
      }
    });
  };
}
