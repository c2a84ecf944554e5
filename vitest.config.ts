import { defineConfig } from 'vitest/config';

const UNIT = 'packages/server/test/unit/**/*.test.ts';

export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'], externalConditions: ['source'] } },
  test: {
    // Most test files spend their time waiting on sockets, timers and the databases, not on the CPU: run
    // three at once even on a 2-core machine (vitest's default there is one, which left CI half idle).
    maxWorkers: 3,
    testTimeout: 20_000,
    hookTimeout: 30_000,
    projects: [
      // Pure code, no shared state worth isolating: one module graph for every file, in threads.
      { extends: true, test: { name: 'unit', include: [UNIT], pool: 'threads', isolate: false } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['packages/*/test/**/*.test.ts', 'bench/test/**/*.test.ts'],
          exclude: [UNIT],
          pool: 'forks',
        },
      },
    ],
  },
});
