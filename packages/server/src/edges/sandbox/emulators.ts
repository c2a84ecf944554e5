import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { EmulatorCredentials, Emulators } from '@callpush/emulators';
import type { DevicesService } from '#domain/devices';
import { type CredentialOf, PROVIDERS, type ProvidersService, type ProviderType } from '#providers';

export const EMULATOR_CA_FILE = 'emulators-ca.pem';

/** Starts the sandbox's emulators on loopback; their CA goes to `<dataDir>/emulators-ca.pem` for clients to trust. */
export async function startSandboxEmulators(dataDir: string): Promise<{ emulators: Emulators; caFile: string }> {
  // Loaded here, not at start-up: a gateway without the sandbox never needs the emulators.
  const { startEmulators } = await import('@callpush/emulators');
  const emulators = await startEmulators({ host: '127.0.0.1' });
  const caFile = path.join(dataDir, EMULATOR_CA_FILE);
  writeFileSync(caFile, emulators.credentials.ca);
  return { emulators, caFile };
}

/**
 * One credential per provider, named after its type, pointing at the emulators (each provider module says
 * how), as the sandbox and the tests configure them.
 */
export function emulatorProviderCredentials(c: EmulatorCredentials): { [T in ProviderType]: CredentialOf<T> } {
  return Object.fromEntries(PROVIDERS.map((m) => [m.type, m.sandbox.credential(c as never)])) as {
    [T in ProviderType]: CredentialOf<T>;
  };
}

/** Points the sandbox app's providers (one per type, named after it) at the emulators. */
export async function configureSandboxProviders(
  providers: ProvidersService,
  appKey: string,
  c: EmulatorCredentials,
): Promise<void> {
  for (const [name, credential] of Object.entries(emulatorProviderCredentials(c))) {
    await providers.put(appKey, name, credential);
  }
}

/** The sandbox user with one device per provider, so a first call rings every emulator. */
export const SANDBOX_USER = 'bob';

/** Registers the sandbox user's devices, with tokens the emulators accept; returns them for sandbox.json. */
export async function registerSandboxDevices(
  devices: DevicesService,
  appKey: string,
  emulators: Emulators,
): Promise<Array<{ deviceId: string; provider: ProviderType; kind: 'voip' | 'alert'; token: string }>> {
  const registered = [];
  for (const m of PROVIDERS) {
    const { token, kind, inspectAs } = m.sandbox.device(emulators);
    const { deviceId } = m.sandbox;
    await devices.register(appKey, SANDBOX_USER, deviceId, { provider: m.type, token, kind });
    // sandbox.json shows what the emulator's inspection API finds the device's messages by.
    registered.push({ deviceId, provider: m.type, kind, token: inspectAs ?? token });
  }
  return registered;
}

/** The emulators as sandbox.json shows them: where each is and what a client authenticates with. */
export function describeEmulators(c: EmulatorCredentials, caFile: string): Record<string, unknown> {
  return { caFile, ...Object.fromEntries(PROVIDERS.map((m) => [m.type, m.sandbox.describe(c)])) };
}
