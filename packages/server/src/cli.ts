#!/usr/bin/env node
import { Command, Option } from 'commander';
import { type Config, ConfigError, readConfigFile, resolveConfig, SERVE_OPTIONS } from './config/index.js';
import { startGateway } from './gateway.js';
import { SANDBOX_FILE } from './sandbox/index.js';
import { VERSION } from './version.js';

type Flags = Record<string, string | undefined> & { config?: string };

/** Commander flag values keyed by the environment variable names of the options table. */
function flagsToEnvKeys(flags: Flags): Record<string, string> {
  const out: Record<string, string> = {};
  for (const spec of SERVE_OPTIONS) {
    const attr = new Option(spec.flag).attributeName();
    const value = flags[attr];
    if (value !== undefined) out[spec.env] = String(value);
  }
  return out;
}

function loadConfig(flags: Flags): Config {
  const file = flags.config ?? process.env.CALLPUSH_CONFIG;
  return resolveConfig({
    flags: flagsToEnvKeys(flags),
    env: process.env,
    file: file ? readConfigFile(file) : undefined,
  });
}

async function serve(flags: Flags): Promise<void> {
  const config = loadConfig(flags);
  const started = Date.now();
  const gateway = await startGateway(config);
  if (gateway.sandbox) {
    const s = gateway.sandbox;
    process.stdout.write(
      [
        '',
        `callpush ${VERSION} sandbox is ready in ${Date.now() - started} ms at ${gateway.url}`,
        `  admin token  ${s.adminToken}`,
        `  app key      ${s.appKey}`,
        `  app secret   ${s.appSecret}`,
        `  saved in     ${config.dataDir}/${SANDBOX_FILE}`,
        `  API docs     ${gateway.url}/docs`,
        '',
      ].join('\n'),
    );
  }
  const stop = async (signal: string) => {
    gateway.http.log.info({ signal }, 'shutting down');
    await gateway.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

const program = new Command()
  .name('callpush')
  .description('Managed push for calling apps: make a phone ring when its app is killed.')
  .version(VERSION);

const serveCommand = program
  .command('serve')
  .description('run the gateway (HTTP API, device registry, ring fan-out)')
  .option(
    '-c, --config <file>',
    'JSON config file whose keys are the environment variable names (env: CALLPUSH_CONFIG)',
  );
for (const spec of SERVE_OPTIONS) {
  const value = spec.kind === 'boolean' ? '<auto|true|false>' : spec.kind === 'int' ? '<n>' : '<value>';
  const fallback = 'default' in spec ? ` (default: ${spec.default})` : '';
  serveCommand.option(`${spec.flag} ${value}`, `${spec.description}; env ${spec.env}${fallback}`);
}
serveCommand.action(serve);

program.addHelpText(
  'after',
  `\nEvery command's options: callpush <command> --help. Options of serve:\n${SERVE_OPTIONS.map(
    (o) => `  ${o.flag.padEnd(24)} ${o.env}`,
  ).join(
    '\n',
  )}\n  --config <file>          CALLPUSH_CONFIG\n\nPrecedence: flags, then environment, then the config file, then defaults.`,
);

program.parseAsync().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`callpush: ${err.message}\n`);
  } else {
    process.stderr.write(`callpush: ${(err as Error).message ?? String(err)}\n`);
  }
  process.exit(1);
});
