import type { Emulators } from '@callpush/emulators';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { AppsService } from './apps/index.js';
import type { Config } from './config/index.js';
import { loadMasterKey, SecretBox } from './crypto/index.js';
import { DevicesService } from './devices/index.js';
import { buildHttpServer, type Services } from './http/index.js';
import { ProvidersService } from './providers/index.js';
import {
  describeEmulators,
  prepareSandbox,
  type SandboxInfo,
  startSandboxEmulators,
  writeSandboxFile,
} from './sandbox/index.js';
import { openStore } from './store/index.js';
import { VERSION } from './version.js';

export interface Gateway {
  url: string;
  http: FastifyInstance;
  services: Services;
  sandbox?: SandboxInfo;
  /** The sandbox's built-in provider emulators. */
  emulators?: Emulators;
  close(): Promise<void>;
}

export interface GatewayOptions {
  /** Where JSON log lines go (default stdout); tests capture them to prove secrets stay out. */
  logStream?: NodeJS.WritableStream;
  /** PostgreSQL schema to isolate in (tests). */
  pgSchema?: string;
}

/** Starts `callpush serve`: storage and migrations, services, HTTP server, and the sandbox when configured. */
export async function startGateway(config: Config, options: GatewayOptions = {}): Promise<Gateway> {
  const box = new SecretBox(loadMasterKey(config.masterKey, config.dataDir));
  const store = await openStore({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    pgSchema: options.pgSchema,
  });
  const apps = new AppsService(store, box);
  const services: Services = {
    store,
    apps,
    providers: new ProvidersService(store, box),
    devices: new DevicesService(store, config.maxDevicesPerUser),
    tokens: { namespace: config.tokenNamespace, maxLifetimeSeconds: config.tokenMaxLifetimeSeconds },
    adminToken: config.adminToken,
  };
  const logger: FastifyServerOptions['logger'] = {
    level: config.logLevel,
    redact: { paths: ['req.headers.authorization', 'headers.authorization'], censor: '[redacted]' },
    ...(options.logStream ? { stream: options.logStream } : {}),
  };
  const http = await buildHttpServer(services, { bodyLimitBytes: config.bodyLimitBytes, logger, version: VERSION });
  try {
    await http.listen({ host: config.host, port: config.port });
  } catch (err) {
    await store.close();
    throw err;
  }
  const address = http.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  const url = `http://${host}:${port}`;

  let sandbox: SandboxInfo | undefined;
  let emulators: Emulators | undefined;
  if (config.sandbox) {
    sandbox = await prepareSandbox(apps, config.dataDir, url);
    // The sandbox admin token is generated, so the admin API accepts it only in sandbox mode.
    services.adminToken ??= sandbox.adminToken;
    const started = await startSandboxEmulators(services.providers, sandbox.appKey, config.dataDir, '127.0.0.1');
    emulators = started.emulators;
    writeSandboxFile(config.dataDir, {
      ...sandbox,
      emulators: describeEmulators(emulators.credentials, started.caFile),
    });
  }
  return {
    url,
    http,
    services,
    sandbox,
    emulators,
    close: async () => {
      await emulators?.close();
      await http.close();
      await store.close();
    },
  };
}
