import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerConsole } from '../../server/src/edges/http/console.js';

const SANDBOX = { appKey: 'app_sandbox', appSecret: 'sandbox-secret' };
const SAME_ORIGIN = { host: '127.0.0.1:8080', 'sec-fetch-site': 'same-origin' };

/** Who gets the sandbox app: only the console's own page, opened on this machine by a loopback name. */
describe('GET /console/sandbox-app', () => {
  let dir: string;
  let withSandbox: FastifyInstance;
  let without: FastifyInstance;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'callpush-console-files-'));
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html>');
    withSandbox = Fastify();
    registerConsole(withSandbox, { sandbox: SANDBOX, dir });
    without = Fastify();
    registerConsole(without, { dir });
  });
  afterAll(async () => {
    await withSandbox.close();
    await without.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (app: FastifyInstance, headers: Record<string, string>, remoteAddress = '127.0.0.1') =>
    app.inject({ method: 'GET', url: '/console/sandbox-app', headers, remoteAddress });

  it('answers the sandbox app to the page of this origin on loopback, never cached', async () => {
    const r = await get(withSandbox, SAME_ORIGIN);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual(SANDBOX);
    expect(r.headers['cache-control']).toBe('no-store');
  });

  it('refuses another site, a remote client and a rebound name', async () => {
    expect((await get(withSandbox, { ...SAME_ORIGIN, 'sec-fetch-site': 'cross-site' })).statusCode).toBe(403);
    expect((await get(withSandbox, { host: '127.0.0.1:8080' })).statusCode).toBe(403);
    expect((await get(withSandbox, SAME_ORIGIN, '192.0.2.7')).statusCode).toBe(403);
    expect((await get(withSandbox, { ...SAME_ORIGIN, host: 'rebound.example:8080' })).statusCode).toBe(403);
  });

  it('answers 204 without a sandbox, so the page offers nothing and logs no error', async () => {
    const r = await get(without, SAME_ORIGIN);
    expect(r.statusCode).toBe(204);
    expect(r.body).toBe('');
  });

  it('answers 204 for the phones without a sandbox, 403 to anyone but the page on loopback with one', async () => {
    const phones = { list: async () => [{ deviceId: 'pixel' }], subscribe: () => () => undefined };
    const app = Fastify();
    registerConsole(app, { sandbox: { ...SANDBOX, phones }, dir });
    try {
      const ok = await app.inject({ method: 'GET', url: '/console/sandbox-phones', headers: SAME_ORIGIN });
      expect(ok.json()).toEqual({ phones: [{ deviceId: 'pixel' }] });
      const far = {
        method: 'GET' as const,
        url: '/console/sandbox-phones',
        headers: SAME_ORIGIN,
        remoteAddress: '192.0.2.7',
      };
      expect((await app.inject(far)).statusCode).toBe(403);
      for (const url of ['/console/sandbox-phones', '/console/sandbox-phones/events']) {
        expect((await without.inject({ method: 'GET', url, headers: SAME_ORIGIN })).statusCode).toBe(204);
      }
    } finally {
      await app.close();
    }
  });

  it('serves the page with its CSP and nothing outside the build', async () => {
    const page = await without.inject({ method: 'GET', url: '/console/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect((await without.inject({ method: 'GET', url: '/console/..%2Fpackage.json' })).statusCode).toBe(404);
    expect((await without.inject({ method: 'GET', url: '/console' })).headers.location).toBe('/console/');
  });
});
