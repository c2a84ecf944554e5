import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const ROOT = path.resolve(import.meta.dirname, '..');
export const CONSOLE_DIST = path.join(ROOT, 'dist');

/**
 * Writes a file whole or not at all (a temporary file renamed over it): a gateway starting meanwhile, in
 * another test, reads the old file or the new one, never half of one, and never finds it missing.
 */
function writeAtomically(file: string, content: string | Uint8Array): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, content);
  renameSync(temporary, file);
}

/**
 * Bundles the console into `outDir`: one script, one stylesheet and the page, all served from the gateway's
 * own origin (the CSP allows nothing else). esbuild is the workspace's bundler already: no new dependency.
 */
export async function buildConsole(outDir = CONSOLE_DIST): Promise<void> {
  const out = await build({
    entryPoints: [path.join(ROOT, 'web/main.ts')],
    outfile: path.join(outDir, 'console.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    logLevel: 'warning',
  });
  mkdirSync(outDir, { recursive: true });
  for (const file of out.outputFiles) writeAtomically(file.path, file.contents);
  // The page last: the gateway serves the console once index.html is there, so its script must be first.
  for (const name of ['console.css', 'index.html']) {
    writeAtomically(path.join(outDir, name), readFileSync(path.join(ROOT, 'web', name)));
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await buildConsole();
