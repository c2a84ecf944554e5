import { randomBytes } from 'node:crypto';
import { AccessTokenStore } from '../core/access-tokens.js';
import { isFormContentType, parseForm } from '../core/form.js';
import { type AnyRequest, type AnyResponse, readBody } from '../core/http.js';
import { sendText } from '../core/send.js';

/**
 * Huawei's OAuth 2.0 client-credentials endpoint (`/oauth2/v3/token`, and the older `/oauth2/v2/token`).
 * Errors are Huawei's own numeric shape, `{"error":1101,"sub_error":...,"error_description":...}`, not RFC 6749's.
 */

export const HMS_ACCESS_TOKEN_TTL_SECONDS = 3600;

export interface HmsCredentials {
  appId: string;
  clientSecret: string;
}

/** The app an access token was issued to. */
export interface HmsGrant {
  appId: string;
}

/** Huawei access tokens are base64 with `+`, `/` and `=`; always include the first two so clients prove they cope. */
export function createHmsTokenStore(): AccessTokenStore<HmsGrant> {
  return new AccessTokenStore(() => {
    const text = randomBytes(97).toString('base64');
    return `${text.slice(0, 8)}+${text.slice(9, 40)}/${text.slice(41)}`;
  });
}

class HmsTokenError extends Error {
  constructor(
    readonly subError: number,
    description: string,
    readonly error = 1101,
  ) {
    super(description);
  }
}

function grant(params: Map<string, string>, credentials: HmsCredentials): string {
  const grantType = params.get('grant_type');
  if (grantType === undefined) throw new HmsTokenError(20001, 'missing required parameter: grant_type', 1102);
  if (grantType !== 'client_credentials') throw new HmsTokenError(20001, `unsupported grant_type: ${grantType}`);
  const clientId = params.get('client_id');
  if (clientId === undefined) throw new HmsTokenError(20001, 'missing required parameter: client_id', 1102);
  if (!/^[0-9]{1,64}$/.test(clientId)) throw new HmsTokenError(20002, 'invalid client_id');
  if (clientId !== credentials.appId) throw new HmsTokenError(20003, 'client_id not exist');
  const secret = params.get('client_secret');
  if (secret === undefined) throw new HmsTokenError(20171, 'client_secret is empty');
  if (secret !== credentials.clientSecret) throw new HmsTokenError(12304, 'invalid client_secret');
  return clientId;
}

/** Huawei's JSON escapes `/` as `\/` (why its docs tell readers to un-escape tokens); any JSON parser copes. */
function sendHuaweiJson(res: AnyResponse, status: number, body: object): void {
  const text = JSON.stringify(body).replaceAll('/', '\\/');
  sendText(res, status, 'application/json;charset=UTF-8', text, { 'cache-control': 'no-store', pragma: 'no-cache' });
}

export async function handleHmsTokenRequest(
  req: AnyRequest,
  res: AnyResponse,
  credentials: HmsCredentials,
  tokens: AccessTokenStore<HmsGrant>,
  ttlSeconds: number,
): Promise<void> {
  try {
    if (!isFormContentType(req.headers['content-type'])) {
      throw new HmsTokenError(20001, 'Content-Type must be application/x-www-form-urlencoded', 1102);
    }
    const { params } = parseForm(await readBody(req, 64 * 1024));
    const appId = grant(params, credentials);
    const accessToken = tokens.issue(ttlSeconds, { appId });
    sendHuaweiJson(res, 200, { access_token: accessToken, expires_in: ttlSeconds, token_type: 'Bearer' });
  } catch (err) {
    if (!(err instanceof HmsTokenError)) throw err;
    sendHuaweiJson(res, 400, { error: err.error, sub_error: err.subError, error_description: err.message });
  }
}
