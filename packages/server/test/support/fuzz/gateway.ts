import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { type Gateway, startGateway } from '../../../src/gateway.js';
import { type Config, resolveConfig } from '../../../src/infra/config/index.js';
import { ADMIN_TOKEN } from '../gateway.js';
import { findSecrets, type Needle } from './secrets.js';

/**
 * The gateway's log as a fuzz run reads it: every line is searched for the secrets as it is written, then
 * dropped, so a long run at trace level holds no log in memory. Lines written before the secrets are known
 * (while the run sets up its apps) wait for them.
 */
export class LogScanner extends Writable {
  lines = 0;
  /** Lines at level error or fatal, the first few kept (shortened) for the report. */
  errors = 0;
  readonly errorSamples: string[] = [];
  /** One entry per secret and encoding found, with the start of the line that carried it. */
  readonly leaks = new Map<string, string>();
  private partial = '';
  private pending: string[] = [];
  private needles: Needle[] | undefined;

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    const parts = (this.partial + chunk.toString('utf8')).split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.line(line);
    done();
  }

  /** Starts searching for these secrets, in the lines kept so far too. */
  watch(needles: Needle[]): void {
    this.needles = needles;
    for (const line of this.pending.splice(0)) this.scan(line);
  }

  private line(line: string): void {
    this.lines += 1;
    const level = Number(/^\{"level":(\d+)/.exec(line)?.[1] ?? 0);
    if (level >= 50) {
      this.errors += 1;
      if (this.errorSamples.length < 5) this.errorSamples.push(line.slice(0, 600));
    }
    if (this.needles) this.scan(line);
    else this.pending.push(line);
  }

  private scan(line: string): void {
    for (const f of findSecrets(line, this.needles!)) {
      const key = `${f.name} (${f.encoding})`;
      if (!this.leaks.has(key)) this.leaks.set(key, f.at.slice(0, 400));
    }
  }
}

export interface FuzzGateway extends Gateway {
  config: Config;
  log: LogScanner;
  stop(): Promise<void>;
}

/** A gateway on SQLite in a temporary folder, logging into a scanner. */
export async function startFuzzGateway(env: Record<string, string>, providerCa?: string): Promise<FuzzGateway> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'callpush-fuzz-'));
  const config = resolveConfig({
    env: { PORT: '0', CALLPUSH_DATA_DIR: dataDir, CALLPUSH_ADMIN_TOKEN: ADMIN_TOKEN, ...env },
  });
  const log = new LogScanner();
  const gateway = await startGateway(config, { logStream: log, ...(providerCa ? { providerCa } : {}) });
  return {
    ...gateway,
    config,
    log,
    stop: async () => {
      await gateway.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
