import { createECDH } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { type EmulatorCredentials, type Emulators, startEmulators } from '@callpush/emulators';
import type { ProvidersService } from '../providers/index.js';

export const SANDBOX_APNS_TOPIC = 'com.example.callpush';
export const EMULATOR_CA_FILE = 'emulators-ca.pem';

/**
 * Starts the built-in emulators for the sandbox and points the sandbox app's providers `fcm`, `hms`, `apns`
 * and `webpush` at them. The emulators' CA goes to `<dataDir>/emulators-ca.pem` for clients to trust.
 */
export async function startSandboxEmulators(
  providers: ProvidersService,
  appKey: string,
  dataDir: string,
  host: string,
): Promise<{ emulators: Emulators; caFile: string }> {
  const emulators = await startEmulators({ host });
  const c: EmulatorCredentials = emulators.credentials;
  const vapid = createECDH('prime256v1');
  vapid.generateKeys();
  await providers.put(appKey, 'fcm', { type: 'fcm', serviceAccount: c.fcm.serviceAccount, endpoint: c.fcm.baseUrl });
  await providers.put(appKey, 'hms', {
    type: 'hms',
    appId: c.hms.appId,
    clientSecret: c.hms.clientSecret,
    endpoint: c.hms.baseUrl,
    tokenUrl: c.hms.tokenUrl,
  });
  await providers.put(appKey, 'apns', {
    type: 'apns',
    teamId: c.apns.teamId,
    keyId: c.apns.keyId,
    privateKey: c.apns.privateKey,
    topic: SANDBOX_APNS_TOPIC,
    environment: 'sandbox',
    endpoint: c.apns.baseUrl,
  });
  await providers.put(appKey, 'webpush', {
    type: 'webpush',
    vapidPublicKey: vapid.getPublicKey().toString('base64url'),
    vapidPrivateKey: vapid.getPrivateKey().toString('base64url'),
    subject: 'mailto:sandbox@callpush.invalid',
    endpoint: c.webpush.baseUrl,
  });
  const caFile = path.join(dataDir, EMULATOR_CA_FILE);
  writeFileSync(caFile, c.ca);
  return { emulators, caFile };
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
