import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The layering rules of docs/architecture.md are lint rules (biome.json): this runs the repository's Biome,
 * with the repository's configuration, over probe files laid out like the server's sources, and checks
 * that each forbidden import is reported and each allowed one is not.
 */
const ROOT = path.resolve(import.meta.dirname, '../../../..');
const BIOME = path.join(ROOT, 'node_modules/.bin/biome');
const SRC = 'packages/server/src';

/** [probe file under src, its source, the rule expected to fire or undefined] */
const CASES: Array<[string, string, string | undefined]> = [
  ['domain/calls/ok-a.ts', "import type { Device } from '#domain/devices';\nexport type A = Device;\n", undefined],
  ['domain/calls/ok-b.ts', "import { x } from './dispatch/index.js';\nexport const b = x;\n", undefined],
  ['domain/calls/dispatch/index.ts', 'export const x = 1;\n', undefined],
  ['domain/calls/dispatch/ok-c.ts', "import type { M } from '../model.js';\nexport type C = M;\n", undefined],
  ['domain/calls/model.ts', 'export type M = number;\n', undefined],
  ['edges/http/routes/ok-d.ts', "import type { Device } from '#domain/devices';\nexport type D = Device;\n", undefined],
  ['domain/apps/up.ts', "import type { C } from '#domain/calls';\nexport type X = C;\n", 'noRestrictedImports'],
  ['domain/devices/peer.ts', "import type { A } from '#domain/apps';\nexport type X = A;\n", 'noRestrictedImports'],
  ['domain/calls/edge.ts', "import type { H } from '#edges/http';\nexport type X = H;\n", 'noRestrictedImports'],
  ['domain/calls/deep.ts', "import { s } from './dispatch/settle.js';\nexport const x = s;\n", 'noRestrictedImports'],
  [
    'domain/calls/dispatch/out.ts',
    "import type { D } from '../../devices/index.js';\nexport type X = D;\n",
    'noRestrictedImports',
  ],
  ['providers/fcm/sibling.ts', "import { f } from '../kit/oauth.js';\nexport const x = f;\n", 'noRestrictedImports'],
  ['providers/registry-up.ts', "import type { C } from '#domain/calls';\nexport type X = C;\n", 'noRestrictedImports'],
  ['kernel/any-alias.ts', "import type { S } from '#infra/store';\nexport type X = S;\n", 'noRestrictedImports'],
  ['infra/store/up.ts', "import type { P } from '#providers';\nexport type X = P;\n", 'noRestrictedImports'],
  [
    'integrations/kaleyra/edge.ts',
    "import type { H } from '#edges/http';\nexport type X = H;\n",
    'noRestrictedImports',
  ],
  ['edges/sandbox/peer.ts', "import type { H } from '#edges/http';\nexport type X = H;\n", 'noRestrictedImports'],
  [
    'relative-root.ts',
    "import type { G } from './domain/calls/model.js';\nexport type X = G;\n",
    'noRestrictedImports',
  ],
  // A cycle made of type imports alone still counts.
  [
    'domain/limits/cycle-a.ts',
    "import type { B } from './cycle-b.js';\nexport type A = { b?: B };\n",
    'noImportCycles',
  ],
  [
    'domain/limits/cycle-b.ts',
    "import type { A } from './cycle-a.js';\nexport type B = { a?: A };\n",
    'noImportCycles',
  ],
];

describe('layering lint rules', () => {
  let dir: string;
  let reported: Map<string, Set<string>>;

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'callpush-layers-'));
    const config = JSON.parse(readFileSync(path.join(ROOT, 'biome.json'), 'utf8')) as Record<string, unknown>;
    delete config.$schema;
    writeFileSync(path.join(dir, 'biome.json'), JSON.stringify(config));
    mkdirSync(path.join(dir, 'packages/server'), { recursive: true });
    writeFileSync(
      path.join(dir, 'packages/server/package.json'),
      readFileSync(path.join(ROOT, 'packages/server/package.json')),
    );
    for (const [file, source] of CASES) {
      const target = path.join(dir, SRC, file);
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, source);
    }
    let out: string;
    try {
      out = execFileSync(BIOME, ['lint', '--reporter=json', '.'], { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
    } catch (err) {
      // Biome exits non-zero when it reports errors, which is what most probes are for.
      out = (err as { stdout: string }).stdout;
    }
    const { diagnostics } = JSON.parse(out) as {
      diagnostics: Array<{ category: string; location: { path: string } }>;
    };
    reported = new Map();
    for (const d of diagnostics) {
      const file = path.relative(SRC, d.location.path);
      reported.set(file, new Set([...(reported.get(file) ?? []), d.category.split('/').pop()!]));
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(CASES)('%s', (file, _source, rule) => {
    const rules = [...(reported.get(file) ?? [])].filter((r) => r === 'noRestrictedImports' || r === 'noImportCycles');
    expect(rules).toEqual(rule ? [rule] : []);
  });
});
