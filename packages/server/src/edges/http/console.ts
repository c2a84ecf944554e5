import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { forbidden, notFound } from './errors.js';
import { EventStreams, keepAliveFor } from './sse.js';

/** The sandbox user's emulated devices as the console draws them (docs/console.md). */
export interface PhoneSource {
  list(): Promise<object[]>;
  /** Calls the listener when a phone may have changed; returns the unsubscribe. */
  subscribe(listener: () => void): () => void;
}

/** The sandbox app's credentials, which the console offers in one click while the sandbox runs, and its phones. */
export interface SandboxApp {
  appKey: string;
  appSecret: string;
  phones?: PhoneSource;
}

export interface ConsoleOptions {
  sandbox?: SandboxApp | undefined;
  /** The console's build: CALLPUSH_CONSOLE_DIR, else the workspace's (`consoleDir()`). */
  dir?: string | undefined;
  /** The idle timeout, which the phones stream's keep-alive stays within. */
  idleTimeoutMs?: number;
}

const LOOPBACK_ADDRESSES = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Whether the sandbox app may be handed to this request: from this machine (the banner shows the same
 * credentials to whoever started it), to a page of this very origin (`Sec-Fetch-Site`, set by the browser, not
 * by the page: another site's script cannot read it), addressed by a loopback name (so a DNS-rebound name
 * pointing at 127.0.0.1 gets nothing).
 */
function mayHaveSandbox(req: FastifyRequest): boolean {
  const host = (req.headers.host ?? '').replace(/:\d+$/, '');
  return (
    LOOPBACK_ADDRESSES.has(req.socket.remoteAddress ?? '') &&
    LOOPBACK_HOSTS.has(host) &&
    req.headers['sec-fetch-site'] === 'same-origin'
  );
}

/**
 * The console's build in the workspace (packages/console/dist), found from the package folder holding this
 * module (packages/server): the module sits deeper under it in src (tests) and dist than in the bundled command.
 */
const WORKSPACE_CONSOLE = path.resolve(packageDirOf(import.meta.dirname), '../console/dist');

function packageDirOf(dir: string): string {
  const parent = path.dirname(dir);
  return existsSync(path.join(dir, 'package.json')) || parent === dir ? dir : packageDirOf(parent);
}

/**
 * The page may load only its own script and stylesheet and talk only to this origin: no inline code, no
 * framing, no form posts elsewhere — so an injected string can neither run nor send credentials away.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/**
 * Serves the built console at /console (404 until it is built), read once at start: a handful of small files, so
 * no file-serving plugin and no path from the request ever reaches the file system.
 */
export function registerConsole(app: FastifyInstance, options: ConsoleOptions = {}): void {
  const { sandbox, dir = WORKSPACE_CONSOLE } = options;
  // The routes exist whether or not the console was built, so the API document (and the SDK generated from
  // it) is the same on every gateway; an unbuilt console answers 404 saying how to build it.
  const built = existsSync(path.join(dir, 'index.html'));
  const files = new Map<string, { type: string; body: Buffer }>();
  for (const name of built ? readdirSync(dir) : []) {
    const type = TYPES[path.extname(name)];
    if (type) files.set(name, { type, body: readFileSync(path.join(dir, name)) });
  }
  const headers = {
    'content-security-policy': CONSOLE_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-cache',
  };
  const send = (reply: FastifyReply, name: string) => {
    const file = files.get(name);
    if (!built) throw notFound('route_not_found', 'the console is not built: run npm run build (npm start does)');
    if (!file) throw notFound('route_not_found', `no console file ${name}`);
    return reply.headers(headers).type(file.type).send(file.body);
  };
  // A static path: the router prefers it to the files' `:file`, so no file can shadow it.
  const sandboxSchema = {
    hide: true,
    response: {
      200: {
        type: 'object',
        properties: { appKey: { type: 'string' }, appSecret: { type: 'string' } },
        required: ['appKey', 'appSecret'],
      },
      204: { type: 'null', description: 'no sandbox runs on this gateway' },
    },
  };
  app.get('/console/sandbox-app', { schema: sandboxSchema }, async (req, reply) => {
    reply.header('cache-control', 'no-store');
    // No sandbox is no error: the sign-in page asks on every gateway and offers the button only on a 200.
    if (!sandbox) return reply.code(204).send();
    if (!mayHaveSandbox(req)) {
      throw forbidden('sandbox_local_only', 'the sandbox app is offered only to the console opened on this machine');
    }
    return { appKey: sandbox.appKey, appSecret: sandbox.appSecret };
  });
  registerPhones(app, sandbox?.phones, options.idleTimeoutMs ?? 30_000);
  app.get('/console', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/console/'));
  app.get('/console/', { schema: { hide: true } }, async (_req, reply) => send(reply, 'index.html'));
  const fileParams = {
    type: 'object',
    properties: { file: { type: 'string', maxLength: 64, description: 'console.js or console.css' } },
    required: ['file'],
  };
  app.get<{ Params: { file: string } }>(
    '/console/:file',
    { schema: { hide: true, params: fileParams } },
    async (req, reply) => send(reply, req.params.file),
  );
}

/** At most this many phone streams at once: one per console tab on this machine is plenty. */
const PHONE_STREAMS = 8;

/**
 * The sandbox phones, under the same guard as the sandbox app (the headers of a call are no one else's): a
 * snapshot, and a stream of snapshots sent each time a phone may have changed.
 */
function registerPhones(app: FastifyInstance, phones: PhoneSource | undefined, idleTimeoutMs: number): void {
  const streams = new EventStreams(app, {
    maxPerKey: PHONE_STREAMS,
    lifetimeMs: 600_000,
    keepAliveMs: keepAliveFor(idleTimeoutMs),
  });
  const guard = (req: FastifyRequest, reply: FastifyReply) => {
    reply.header('cache-control', 'no-store');
    if (phones && !mayHaveSandbox(req)) {
      throw forbidden('sandbox_local_only', 'the sandbox phones are shown only to the console opened on this machine');
    }
    return phones;
  };
  const schema = {
    hide: true,
    response: {
      200: {
        type: 'object',
        properties: { phones: { type: 'array', items: { type: 'object', additionalProperties: true } } },
        required: ['phones'],
      },
      204: { type: 'null', description: 'no sandbox runs on this gateway' },
    },
  };
  app.get('/console/sandbox-phones', { schema }, async (req, reply) => {
    const source = guard(req, reply);
    if (!source) return reply.code(204).send();
    return { phones: await source.list() };
  });
  app.get(
    '/console/sandbox-phones/events',
    { exposeHeadRoute: false, schema: { hide: true, response: { 204: schema.response[204] } } },
    async (req, reply) => {
      const source = guard(req, reply);
      if (!source) return reply.code(204).send();
      const stream = streams.start(reply, 'sandbox');
      // One snapshot at a time, the latest: a change during a read sends one more after it.
      let reading = false;
      let again = false;
      const send = () => {
        if (reading) {
          again = true;
          return;
        }
        reading = true;
        source
          .list()
          .then((list) => stream.send('phones', { phones: list }))
          .catch((err: unknown) => req.log.warn({ err }, 'sandbox phones could not be read'))
          .finally(() => {
            reading = false;
            if (again) {
              again = false;
              send();
            }
          });
      };
      stream.onClose(source.subscribe(send));
      send();
    },
  );
}
