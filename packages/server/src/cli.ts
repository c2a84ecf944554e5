#!/usr/bin/env node
import { Command, Option } from 'commander';
import { addClientCommands } from '#cli';
import { AuthServerConfigError, readAuthServerConfig, startAuthServer } from '#edges/auth-server';
import { SANDBOX_FILE } from '#edges/sandbox';
import { type Config, ConfigError, readConfigFile, resolveConfig, SERVE_OPTIONS } from '#infra/config';
import { startGateway } from './gateway.js';
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
        `  console      ${gateway.url}/console/`,
        ...(gateway.emulators
          ? [
              `  emulators    fcm ${gateway.emulators.fcm.baseUrl}  hms ${gateway.emulators.hms.baseUrl}`,
              `               apns ${gateway.emulators.apns.baseUrl}  webpush ${gateway.emulators.webpush.baseUrl}`,
              '               (providers fcm, hms, apns and webpush of the sandbox app point at them)',
            ]
          : []),
        '',
      ].join('\n'),
    );
  }
  const stop = async (signal: string) => {
    gateway.http.log.info({ signal }, 'shutting down');
    // Every step of the stop is bounded; should one still hang (a database that stopped answering), the
    // process does not outlive the promised bound.
    setTimeout(() => {
      gateway.http.log.error({ signal }, 'the stop overran its grace period by a second: exiting now');
      process.exit(1);
    }, config.shutdownGraceMs + 1000).unref();
    await gateway.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

async function emulators(flags: {
  host: string;
  fcmPort: string;
  hmsPort: string;
  apnsPort: string;
  webpushPort: string;
}) {
  const port = (name: string, value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(`--${name}-port must be a port number`);
    return n;
  };
  const { startEmulators } = await import('@callpush/emulators');
  const started = await startEmulators({
    host: flags.host,
    ports: {
      fcm: port('fcm', flags.fcmPort),
      hms: port('hms', flags.hmsPort),
      apns: port('apns', flags.apnsPort),
      webpush: port('webpush', flags.webpushPort),
    },
  });
  // Everything a client needs, as JSON: URLs, the CA to trust, the keys each emulator accepts.
  process.stdout.write(`${JSON.stringify(started.credentials, null, 2)}\n`);
  const stop = async () => {
    await started.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
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
  const choices = 'default' in spec && spec.default === 'auto' ? '<auto|true|false>' : '<true|false>';
  const value = spec.kind === 'boolean' ? choices : spec.kind === 'int' ? '<n>' : '<value>';
  const fallback = 'default' in spec ? ` (default: ${spec.default})` : '';
  serveCommand.option(`${spec.flag} ${value}`, `${spec.description}; env ${spec.env}${fallback}`);
}
serveCommand.action(serve);

program
  .command('emulators')
  .description('run the FCM, HMS, APNs and Web Push emulators and print their URLs and credentials (JSON)')
  .option('--host <host>', 'interface to listen on', '127.0.0.1')
  .option('--fcm-port <n>', 'FCM HTTP v1 emulator port (TLS, HTTP/2 and HTTP/1.1)', '8091')
  .option('--hms-port <n>', 'HMS Push Kit emulator port (HTTP)', '8092')
  .option('--apns-port <n>', 'APNs emulator port (TLS, HTTP/2)', '8093')
  .option('--webpush-port <n>', 'Web Push service emulator port (TLS)', '8094')
  .action(emulators);

async function authServer(flags: { config: string; port?: string; host?: string }) {
  const config = readAuthServerConfig(flags.config);
  if (flags.host !== undefined) config.host = flags.host;
  if (flags.port !== undefined) {
    const port = Number(flags.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError('--port must be a port number');
    config.port = port;
  }
  const { app, url } = await startAuthServer(config, { logger: true });
  process.stdout.write(`callpush auth-server listening at ${url} (flow B audience ${config.publicTokenUrl})\n`);
  const stop = async () => {
    await app.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

program
  .command('auth-server')
  .description("run the app owner's OAuth server for HMS/FCM delegation (flows A and B; see docs/huawei-oauth.md)")
  .requiredOption('-c, --config <file>', 'JSON config file (apps, clients, hms, fcm, publicTokenUrl, ...)')
  .option('--host <host>', 'interface to listen on (default: the config file host, else 127.0.0.1)')
  .option('--port <n>', 'port to listen on (default: the config file port, else 8095)')
  .action(authServer);

addClientCommands(program);

program.addHelpText(
  'after',
  `\nEvery command's options: callpush <command> --help.
call, token and devices act as the sandbox app (its .callpush/sandbox.json) unless given --app-key and --app-secret.
Options of emulators: --host, --fcm-port (8091), --hms-port (8092), --apns-port (8093), --webpush-port (8094).
Options of serve:\n${SERVE_OPTIONS.map((o) => `  ${o.flag.padEnd(24)} ${o.env}`).join(
    '\n',
  )}\n  --config <file>          CALLPUSH_CONFIG\n\nPrecedence: flags, then environment, then the config file, then defaults.`,
);

program.parseAsync().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof AuthServerConfigError) {
    process.stderr.write(`callpush: ${err.message}\n`);
  } else {
    process.stderr.write(`callpush: ${(err as Error).message ?? String(err)}\n`);
  }
  process.exit(1);
});
