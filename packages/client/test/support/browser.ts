import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { build } from 'esbuild';
import { type Browser, chromium } from 'playwright-core';

const PAGE_DIR = path.resolve(import.meta.dirname, '../browser');

/** Debian's chromium (or CHROMIUM_PATH): playwright cannot download a browser on these machines. */
export function chromiumPath(): string | undefined {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  try {
    return execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export function launchChromium(executablePath: string): Promise<Browser> {
  // No sandbox: CI runs as root in a container, where chromium's sandbox cannot start.
  return chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'] });
}

/** The test page's script: the client library's source bundled for the browser, as an app would ship it. */
async function bundlePage(): Promise<string> {
  const out = await build({
    entryPoints: [path.join(PAGE_DIR, 'page.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['source'],
    write: false,
    logLevel: 'silent',
  });
  return out.outputFiles[0]!.text;
}

/**
 * Serves the page on its own loopback origin (so the gateway is reached cross-origin, as from a real web app)
 * and plays the app's backend: `/token?user=` hands out callpush access tokens.
 */
export async function servePage(tokenFor: (userId: string) => Promise<string>): Promise<{
  url: string;
  close(): Promise<void>;
}> {
  const script = await bundlePage();
  const html = readFileSync(path.join(PAGE_DIR, 'index.html'), 'utf8');
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://page');
    const reply = (type: string, body: string, status = 200) =>
      res.writeHead(status, { 'content-type': type }).end(body);
    if (url.pathname === '/') return reply('text/html', html);
    if (url.pathname === '/page.js') return reply('text/javascript', script);
    if (url.pathname === '/token') {
      tokenFor(url.searchParams.get('user') ?? '').then(
        (accessToken) => reply('application/json', JSON.stringify({ accessToken })),
        (err: Error) => reply('text/plain', err.message, 500),
      );
      return;
    }
    reply('text/plain', 'not found', 404);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
