import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SERVE_OPTIONS } from '../../src/infra/config/index.js';

const README = readFileSync(path.resolve(import.meta.dirname, '../../../../README.md'), 'utf8');

describe('README configuration table', () => {
  it('documents every option of callpush serve with its flag and default', () => {
    for (const option of SERVE_OPTIONS) {
      const row = README.split('\n').find((line) => line.startsWith(`| \`${option.env}\` |`));
      expect(row, option.env).toBeDefined();
      expect(row).toContain(`\`${option.flag}\``);
      if ('default' in option && option.env !== 'CALLPUSH_DATA_DIR') expect(row).toContain(`\`${option.default}\``);
    }
  });
});
