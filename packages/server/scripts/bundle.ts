// `npm run build` step after tsc: the `callpush` command as one file, dist/callpush.js (run by bin/callpush.js).
// Unbundled, start-up spends most of its time resolving and loading the ~1,300 ESM and CommonJS files of the
// gateway and its dependencies; the rest of dist/ stays as tsc wrote it (the package's exports).
import { readFile } from 'node:fs/promises';
import { createRequire, isBuiltin } from 'node:module';
import path from 'node:path';
import { build, type Plugin } from 'esbuild';

const require = createRequire(import.meta.url);

/**
 * Node's ESM face of a built-in module reads every export once, and node:http's `WebSocket` (and the like)
 * load undici: about 130 ms of each start for something no request uses. require() has no such face, and the
 * bundle's named imports of a built-in then read its properties where they are used.
 */
const builtinsByRequire: Plugin = {
  name: 'builtins-by-require',
  setup(b) {
    b.onResolve({ filter: /^[a-z0-9:_/]+$/ }, (args) =>
      args.kind === 'import-statement' && isBuiltin(args.path) ? { path: args.path, namespace: 'builtin' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

/**
 * @fastify/swagger-ui (the API docs at /docs) serves the files of its own folder, found from `__dirname`, and
 * loading it unbundled (YAML, @fastify/static and theirs, CommonJS) cost about 100 ms of each start: bundled,
 * its modules are given their folder in the installed package instead.
 */
const swaggerUiDirs: Plugin = {
  name: 'swagger-ui-dirs',
  setup(b) {
    b.onLoad({ filter: /[\\/]@fastify[\\/]swagger-ui[\\/](index|lib[\\/][^\\/]+)\.js$/ }, async (args) => {
      const inPackage = path.relative(path.dirname(require.resolve('@fastify/swagger-ui')), path.dirname(args.path));
      const dir = `require('node:path').join(require('node:path').dirname(require.resolve('@fastify/swagger-ui')), ${JSON.stringify(inPackage)})`;
      return { contents: `var __dirname = ${dir};\n${await readFile(args.path, 'utf8')}`, loader: 'js' };
    });
  },
};

await build({
  entryPoints: ['dist/cli.js'],
  // Directly in dist/, like dist/cli.js: version.ts reads ../package.json from its own file.
  outfile: 'dist/callpush.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  // Fastify's validator compiler adds ajv-formats itself unless a plugin named `formatsPlugin` is given: renamed,
  // the formats would be added twice ("Keyword formatMaximum is already defined").
  keepNames: true,
  // No comments: one non-ASCII character in them and V8 holds the whole source as two bytes a character (8 MB
  // of heap instead of 2.6). Names are kept, and the source map maps stack traces (node --enable-source-maps).
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  legalComments: 'external',
  external: [
    // A native addon, which the checkpoint worker also loads by its path.
    'better-sqlite3',
    // Loaded only when used (PostgreSQL, Redis, the sandbox's emulators): they stay separate packages.
    'pg',
    'ioredis',
    '@callpush/emulators',
  ],
  // The bundled CommonJS dependencies call require() (Node's modules, optional ones in try/catch).
  banner: {
    js: "import { createRequire as createRequireOfBundle } from 'node:module'; const require = createRequireOfBundle(import.meta.url);",
  },
  plugins: [builtinsByRequire, swaggerUiDirs],
  logLevel: 'warning',
});
