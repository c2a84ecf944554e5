import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import { type AnyRequest, type AnyResponse, readBody, sendJson } from '../core/http.js';
import { listen } from '../core/listen.js';

/**
 * Kaleyra Video's SDK-credentials endpoint (docs/providers.md#kaleyra-credentials): `POST /v2/sdk/credentials`
 * with the REST API key in the `apikey` header and `{"user_id","expires_in"}` (360..86400 s) in,
 * `{"access_token","expires_at","user_id"}` out. Plain HTTP: callpush reaches it through a configured base URL, so no host name is faked.
 */

export const KALEYRA_MIN_EXPIRES_IN = 360;
export const KALEYRA_MAX_EXPIRES_IN = 86_400;

export interface KaleyraCredentialsRequest {
  userId: string;
  expiresIn: number;
  accessToken: string;
  at: number;
}

export interface KaleyraEmulator {
  baseUrl: string;
  apiKey: string;
  /** Every token issued, oldest first. */
  requests(): KaleyraCredentialsRequest[];
  close(): Promise<void>;
}

export interface KaleyraEmulatorOptions {
  apiKey?: string;
  host?: string;
  port?: number;
}

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A token shaped like Kaleyra's (HS256 JWT, `user`, `iat`, `exp`, `iss`), signed with a key of the emulator's. */
function accessToken(userId: string, iat: number, exp: number, key: Buffer): string {
  const unsigned = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ user: userId, iat, exp, iss: '@switchboard-core' })}`;
  return `${unsigned}.${createHmac('sha256', key).update(unsigned).digest('base64url')}`;
}

function parse(raw: Buffer): { userId: string; expiresIn: number } | string {
  let body: { user_id?: unknown; expires_in?: unknown };
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    return 'body must be JSON';
  }
  if (typeof body.user_id !== 'string' || body.user_id === '') return 'user_id must be a non-empty string';
  const expiresIn = body.expires_in ?? 3600;
  if (
    typeof expiresIn !== 'number' ||
    !Number.isInteger(expiresIn) ||
    expiresIn < KALEYRA_MIN_EXPIRES_IN ||
    expiresIn > KALEYRA_MAX_EXPIRES_IN
  ) {
    return `expires_in must be an integer from ${KALEYRA_MIN_EXPIRES_IN} to ${KALEYRA_MAX_EXPIRES_IN}`;
  }
  return { userId: body.user_id, expiresIn };
}

export async function startKaleyraEmulator(options: KaleyraEmulatorOptions = {}): Promise<KaleyraEmulator> {
  const apiKey = options.apiKey ?? `ak_test_${randomBytes(12).toString('hex')}`;
  const signingKey = randomBytes(32);
  const issued: KaleyraCredentialsRequest[] = [];

  const handle = async (req: AnyRequest, res: AnyResponse) => {
    const path = new URL(req.url ?? '/', 'http://emulator').pathname;
    if (req.method !== 'POST' || path !== '/v2/sdk/credentials') {
      sendJson(res, 404, { error: 'not_found', message: `no route ${req.method} ${path}` });
      return;
    }
    if (req.headers.apikey !== apiKey) {
      sendJson(res, 401, { error: 'unauthorized', message: 'invalid apikey' });
      return;
    }
    const parsed = parse(await readBody(req, 64 * 1024));
    if (typeof parsed === 'string') {
      sendJson(res, 400, { error: 'bad_request', message: parsed });
      return;
    }
    const iat = Math.floor(Date.now() / 1000);
    const exp = iat + parsed.expiresIn;
    const token = accessToken(parsed.userId, iat, exp, signingKey);
    issued.push({ ...parsed, accessToken: token, at: Date.now() });
    sendJson(res, 200, {
      access_token: token,
      expires_at: new Date(exp * 1000).toISOString(),
      user_id: parsed.userId,
    });
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => sendJson(res, 500, { error: 'internal' }));
  });
  const listening = await listen(server, 'http', options);
  return { baseUrl: listening.baseUrl, apiKey, requests: () => [...issued], close: listening.close };
}
