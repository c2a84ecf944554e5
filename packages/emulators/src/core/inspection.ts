import { BehaviourError, type BehaviourStore, parseBehaviourRequest } from './behaviours.js';
import { type AnyRequest, type AnyResponse, BodyTooLargeError, readBody, send, sendJson } from './http.js';
import type { MessageStore } from './messages.js';

/** Extra `/_emulator/...` routes an emulator adds (the Web Push emulator's subscriptions). */
export type ExtraRoutes = Record<string, (req: AnyRequest, res: AnyResponse, body: unknown) => Promise<void> | void>;

const PREFIX = '/_emulator/';

async function jsonBody(req: AnyRequest): Promise<unknown> {
  const raw = await readBody(req, 64 * 1024);
  if (raw.length === 0) return {};
  return JSON.parse(raw.toString('utf8'));
}

/**
 * Serves the inspection API shared by every emulator:
 * `GET|DELETE /_emulator/messages`, `GET|POST|DELETE /_emulator/behaviours`, plus `extra` routes
 * keyed `"METHOD name"`. Returns false when the request is not for the inspection API.
 */
export async function handleInspection(
  req: AnyRequest,
  res: AnyResponse,
  messages: MessageStore,
  behaviours: BehaviourStore,
  extra: ExtraRoutes = {},
): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://emulator');
  if (!url.pathname.startsWith(PREFIX)) return false;
  const name = url.pathname.slice(PREFIX.length);
  const method = req.method ?? 'GET';
  try {
    if (name === 'messages' && method === 'GET') {
      const since = url.searchParams.get('since');
      const sinceMs = since === null ? undefined : Number(since);
      if (sinceMs !== undefined && !Number.isFinite(sinceMs)) {
        sendJson(res, 400, {
          error: { code: 'invalid_since', message: 'since must be epoch milliseconds', field: 'since' },
        });
        return true;
      }
      const token = url.searchParams.get('token') ?? undefined;
      sendJson(res, 200, { messages: messages.list({ token, since: sinceMs }) });
    } else if (name === 'messages' && method === 'DELETE') {
      messages.clear();
      send(res, 204);
    } else if (name === 'behaviours' && method === 'GET') {
      sendJson(res, 200, { behaviours: behaviours.list() });
    } else if (name === 'behaviours' && method === 'POST') {
      const { token, behaviour } = parseBehaviourRequest(await jsonBody(req));
      behaviours.set(token, behaviour);
      sendJson(res, 201, { token, behaviour });
    } else if (name === 'behaviours' && method === 'DELETE') {
      behaviours.clear(url.searchParams.get('token') ?? undefined);
      send(res, 204);
    } else {
      const route = extra[`${method} ${name}`];
      if (!route) {
        sendJson(res, 404, { error: { code: 'not_found', message: `no inspection route ${method} ${url.pathname}` } });
      } else {
        await route(req, res, method === 'GET' || method === 'DELETE' ? undefined : await jsonBody(req));
      }
    }
  } catch (err) {
    if (err instanceof BehaviourError) {
      sendJson(res, 400, { error: { code: 'invalid_behaviour', message: err.message, field: err.field } });
    } else if (err instanceof SyntaxError) {
      sendJson(res, 400, { error: { code: 'invalid_json', message: 'body is not valid JSON', field: 'body' } });
    } else if (err instanceof BodyTooLargeError) {
      sendJson(res, 413, { error: { code: 'body_too_large', message: err.message } });
    } else {
      throw err;
    }
  }
  return true;
}
