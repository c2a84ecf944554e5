import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLACE_CALL_EXAMPLES } from '../../src/edges/http/openapi-examples.js';
import { OPERATIONS } from '../../src/edges/http/openapi-operations.js';
import { ADMIN_TOKEN, basic, startTestGateway, type TestGateway } from '../support/gateway.js';
import { request } from '../support/http.js';

const ROOT = path.resolve(import.meta.dirname, '../../../..');
const REDOCLY = createRequire(import.meta.url).resolve('@redocly/cli/bin/cli.js');

/**
 * Left out of the document on purpose, as no API: the Swagger UI's own files and its copies of the document
 * (`/docs/json`). The console's routes are documented like the others.
 */
const UNDOCUMENTED = [/^GET \/docs\/./];
const undocumented = (route: string) => UNDOCUMENTED.some((pattern) => pattern.test(route));

interface Problem {
  severity: 'error' | 'warn';
  ruleId: string;
  message: string;
  location: Array<{ pointer: string }>;
}

/** `redocly lint` with the repository's redocly.yaml on a document; its problems. */
async function lint(document: unknown): Promise<Problem[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'callpush-openapi-'));
  try {
    const file = path.join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(document));
    const args = [REDOCLY, 'lint', file, '--config', path.join(ROOT, 'redocly.yaml'), '--format', 'json'];
    // Offline and quiet: no usage report, no update check.
    const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' };
    // It exits 1 when it finds an error; the report on stdout says which either way.
    const stdout = await promisify(execFile)(process.execPath, args, { env }).then(
      (r) => r.stdout,
      (err: { stdout?: string }) => err.stdout ?? '',
    );
    return (JSON.parse(stdout) as { problems: Problem[] }).problems;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Every `METHOD /path` the server answers, from Fastify's route tree (`printRoutes`): each line is a path
 * segment under its parent, indented four characters a level, with its methods. Fastify's automatic HEAD
 * routes and the CORS preflight are left out, and a trailing slash too (the Swagger UI is served at `/docs`
 * and `/docs/`).
 */
function registeredRoutes(tree: string): Set<string> {
  const parents: string[] = [];
  const routes = new Set<string>();
  for (const line of tree.split('\n')) {
    const m = /^((?:│ {3}| {4})*)[├└]── (\S+)(?: \(([^)]*)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    const route = (parents[depth - 1] ?? '') + m[2]!;
    parents[depth] = route;
    for (const method of (m[3] ?? '').split(', ')) {
      if (method && method !== 'HEAD' && method !== 'OPTIONS') routes.add(withoutSlash(`${method} ${route}`));
    }
  }
  return routes;
}

const withoutSlash = (route: string) => route.replace(/(.)\/$/, '$1');

type Operation = { operationId?: string; tags?: string[]; security?: unknown[]; summary?: string };
type Document = { paths: Record<string, Record<string, Operation>>; tags: Array<{ name: string }> };

describe('the OpenAPI document', () => {
  let gw: TestGateway;
  let doc: Document;
  const operations = () =>
    Object.entries(doc.paths).flatMap(([p, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ key: `${method.toUpperCase()} ${p}`, op })),
    );

  // A built console, so that the document is checked as a gateway with its console serves it.
  const consoleDir = mkdtempSync(path.join(os.tmpdir(), 'callpush-console-'));

  beforeAll(async () => {
    writeFileSync(path.join(consoleDir, 'index.html'), '<!doctype html>');
    gw = await startTestGateway('sqlite', { CALLPUSH_CONSOLE_DIR: consoleDir });
    doc = (await request(gw.url, 'GET', '/openapi.json')).body;
  });
  afterAll(async () => {
    await gw.stop();
    rmSync(consoleDir, { recursive: true, force: true });
  });

  it('passes redocly lint with the repository configuration', async () => {
    const errors = (await lint(doc)).filter((p) => p.severity === 'error');
    expect(errors.map((p) => `${p.ruleId} ${p.location[0]?.pointer}: ${p.message}`)).toEqual([]);
  });

  it('documents every route the server answers, and only those', () => {
    const registered = registeredRoutes(gw.http.printRoutes({ commonPrefix: false }));
    expect(registered.size).toBeGreaterThan(30);
    expect(registered).toContain('GET /console');
    const mapped = Object.values(OPERATIONS).flatMap((ops) => Object.keys(ops).map(withoutSlash));
    const missing = [...registered].filter((r) => !mapped.includes(r) && !undocumented(r));
    expect(missing, 'add each to OPERATIONS in src/edges/http/openapi-operations.ts').toEqual([]);
    expect(
      mapped.filter((r) => !registered.has(r)),
      'entries of OPERATIONS for no route',
    ).toEqual([]);
    expect(operations()).toHaveLength(mapped.length);
  });

  it('gives every operation a unique camelCase operationId, one declared tag, a summary and its security', () => {
    const declared = doc.tags.map((t) => t.name);
    const ids = new Set<string>();
    for (const { key, op } of operations()) {
      expect(op.operationId, key).toMatch(/^[a-z][A-Za-z0-9]*$/);
      expect(ids.has(op.operationId!), `${key}: ${op.operationId} twice`).toBe(false);
      ids.add(op.operationId!);
      expect(op.tags, key).toHaveLength(1);
      expect(declared, key).toContain(op.tags![0]);
      expect(op.summary, key).toBeTruthy();
      expect(Array.isArray(op.security), `${key} declares its security`).toBe(true);
    }
    expect(doc.paths['/healthz']!.get!.security).toEqual([]);
    expect(doc.paths['/v1/calls']!.post!.security).toEqual([{ app: [] }, { user: [] }]);
  });

  it('describes the WebSocket upgrade and names the provider credential types', () => {
    const connect = doc.paths['/v1/connect']!.get! as Operation & {
      responses: Record<string, { description: string }>;
    };
    expect(connect.responses['101']!.description).toMatch(/docs\/active-connection\.md/);
    const put = doc.paths['/v1/apps/{appKey}/providers/{name}']!.put! as unknown as {
      requestBody: { content: { 'application/json': { schema: { oneOf: Array<{ $ref: string }> } } } };
    };
    expect(put.requestBody.content['application/json'].schema.oneOf.map((s) => s.$ref)).toEqual([
      '#/components/schemas/FcmProviderCredential',
      '#/components/schemas/HmsProviderCredential',
      '#/components/schemas/ApnsProviderCredential',
      '#/components/schemas/WebpushProviderCredential',
    ]);
  });

  it('has example calls that a gateway places', async () => {
    const app = (await request(gw.url, 'POST', '/v1/apps', { auth: `Bearer ${ADMIN_TOKEN}`, body: { name: 'ex' } }))
      .body;
    for (const [name, example] of Object.entries(PLACE_CALL_EXAMPLES)) {
      const r = await request(gw.url, 'POST', '/v1/calls', { auth: basic(app.key, app.secret), body: example.value });
      expect(r.status, `${name}: ${r.text}`).toBe(201);
    }
  });
});
