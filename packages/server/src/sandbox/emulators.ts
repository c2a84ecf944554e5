import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { type EmulatorCredentials, type Emulators, startEmulators } from '@callpush/emulators';
import webpush from 'web-push';
import type { DevicesService } from '../devices/index.js';
import type { ProviderCredential, ProvidersService } from '../providers/index.js';

export const SANDBOX_APNS_TOPIC = 'com.example.callpush';
export const EMULATOR_CA_FILE = 'emulators-ca.pem';

/** Starts the sandbox's emulators on loopback; their CA goes to `<dataDir>/emulators-ca.pem` for clients to trust. */
export async function startSandboxEmulators(dataDir: string): Promise<{ emulators: Emulators; caFile: string }> {
  const emulators = await startEmulators({ host: '127.0.0.1' });
  const caFile = path.join(dataDir, EMULATOR_CA_FILE);
  writeFileSync(caFile, emulators.credentials.ca);
  return { emulators, caFile };
}

/**
 * Provider credentials named fcm, hms, apns and webpush that point at the emulators (a fresh VAPID key pair
 * for Web Push), as the sandbox and the tests configure them.
 */
export function emulatorProviderCredentials(
  c: EmulatorCredentials,
  apnsTopic = SANDBOX_APNS_TOPIC,
): Record<'fcm' | 'hms' | 'apns' | 'webpush', ProviderCredential> {
  // web-push pads the private key to 32 bytes; a bare ECDH key is one byte short once in 256 generations.
  const vapid = webpush.generateVAPIDKeys();
  return {
    fcm: { type: 'fcm', serviceAccount: c.fcm.serviceAccount, endpoint: c.fcm.baseUrl },
    hms: {
      type: 'hms',
      appId: c.hms.appId,
      clientSecret: c.hms.clientSecret,
      endpoint: c.hms.baseUrl,
      tokenUrl: c.hms.tokenUrl,
    },
    apns: {
      type: 'apns',
      teamId: c.apns.teamId,
      keyId: c.apns.keyId,
      privateKey: c.apns.privateKey,
      topic: apnsTopic,
      environment: 'sandbox',
      endpoint: c.apns.baseUrl,
    },
    webpush: {
      type: 'webpush',
      vapidPublicKey: vapid.publicKey,
      vapidPrivateKey: vapid.privateKey,
      subject: 'mailto:sandbox@callpush.invalid',
      endpoint: c.webpush.baseUrl,
    },
  };
}

/** Points the sandbox app's providers `fcm`, `hms`, `apns` and `webpush` at the emulators. */
export async function configureSandboxProviders(
  providers: ProvidersService,
  appKey: string,
  c: EmulatorCredentials,
): Promise<void> {
  for (const [name, credential] of Object.entries(emulatorProviderCredentials(c))) {
    await providers.put(appKey, name, credential);
  }
}

/** The sandbox user with one device per provider, so a first call rings four emulated devices. */
export const SANDBOX_USER = 'bob';

/** Registers the sandbox user's four devices, with tokens the emulators accept; returns them for sandbox.json. */
export async function registerSandboxDevices(
  devices: DevicesService,
  appKey: string,
  emulators: Emulators,
): Promise<Array<{ deviceId: string; provider: string; token: string }>> {
  const subscription = emulators.webpush.createSubscription();
  const wanted = [
    { deviceId: 'pixel', provider: 'fcm', token: 'sandbox-fcm-token-bob', kind: 'alert' as const },
    { deviceId: 'huawei', provider: 'hms', token: 'sandbox-hms-token-bob', kind: 'alert' as const },
    { deviceId: 'iphone', provider: 'apns', token: 'b0b0'.repeat(16), kind: 'voip' as const },
    {
      deviceId: 'browser',
      provider: 'webpush',
      token: JSON.stringify({ endpoint: subscription.endpoint, keys: subscription.keys }),
      kind: 'alert' as const,
    },
  ];
  for (const d of wanted) await devices.register(appKey, SANDBOX_USER, d.deviceId, d);
  // The emulators' inspection API filters Web Push messages by subscription id.
  return wanted.map(({ deviceId, provider, token }) => ({
    deviceId,
    provider,
    token: provider === 'webpush' ? subscription.id : token,
  }));
}

/** The emulators as sandbox.json shows them: where each is and what a client authenticates with. */
export function describeEmulators(c: EmulatorCredentials, caFile: string): Record<string, unknown> {
  return {
    caFile,
    fcm: { baseUrl: c.fcm.baseUrl, projectId: c.fcm.projectId, serviceAccount: c.fcm.serviceAccount },
    hms: c.hms,
    apns: { ...c.apns, topic: SANDBOX_APNS_TOPIC },
    webpush: c.webpush,
  };
}
