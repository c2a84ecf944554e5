import { type ApnsEmulator, startApnsEmulator } from './apns/index.js';
import { type EmulatorTls, generateEmulatorTls } from './core/tls.js';
import { type FcmEmulator, type ServiceAccount, startFcmEmulator } from './fcm/index.js';
import { type HmsEmulator, startHmsEmulator } from './hms/index.js';
import { type IssuedSubscription, startWebPushEmulator, type WebPushEmulator } from './webpush/index.js';

export interface StartEmulatorsOptions {
  host?: string;
  /** Fixed ports per emulator; 0 or absent picks a free one. */
  ports?: Partial<Record<'fcm' | 'hms' | 'apns' | 'webpush', number>>;
  /** Web Push subscriptions to issue up front, for clients that need one ready (default 1). */
  subscriptions?: number;
}

/** What a client needs to talk to each emulator: JSON-safe, for sandbox.json and `callpush emulators`. */
export interface EmulatorCredentials {
  /** PEM of the CA that signed every emulator's certificate: clients trust it. */
  ca: string;
  fcm: { baseUrl: string; projectId: string; serviceAccount: ServiceAccount };
  hms: { baseUrl: string; tokenUrl: string; appId: string; clientSecret: string };
  apns: { baseUrl: string; teamId: string; keyId: string; privateKey: string };
  webpush: { baseUrl: string; subscriptions: IssuedSubscription[] };
}

export interface Emulators {
  tls: EmulatorTls;
  fcm: FcmEmulator;
  hms: HmsEmulator;
  apns: ApnsEmulator;
  webpush: WebPushEmulator;
  credentials: EmulatorCredentials;
  close(): Promise<void>;
}

/** Starts all four emulators, sharing one CA, and gathers the credentials a client needs for each. */
export async function startEmulators(options: StartEmulatorsOptions = {}): Promise<Emulators> {
  const tls = await generateEmulatorTls();
  const at = (name: keyof NonNullable<StartEmulatorsOptions['ports']>) => ({
    tls,
    host: options.host,
    port: options.ports?.[name] ?? 0,
  });
  const started = await Promise.allSettled([
    startFcmEmulator(at('fcm')),
    startHmsEmulator(at('hms')),
    startApnsEmulator(at('apns')),
    startWebPushEmulator(at('webpush')),
  ]);
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await Promise.all(started.map((s) => (s.status === 'fulfilled' ? s.value.close() : undefined)));
    throw (failed as PromiseRejectedResult).reason;
  }
  const [fcm, hms, apns, webpush] = started.map((s) => (s as PromiseFulfilledResult<unknown>).value) as [
    FcmEmulator,
    HmsEmulator,
    ApnsEmulator,
    WebPushEmulator,
  ];
  const subscriptions = Array.from({ length: options.subscriptions ?? 1 }, () => webpush.createSubscription());
  return {
    tls,
    fcm,
    hms,
    apns,
    webpush,
    credentials: {
      ca: tls.ca,
      fcm: { baseUrl: fcm.baseUrl, projectId: fcm.projectId, serviceAccount: fcm.serviceAccount },
      hms: { baseUrl: hms.baseUrl, tokenUrl: hms.tokenUrl, appId: hms.appId, clientSecret: hms.clientSecret },
      apns: { baseUrl: apns.baseUrl, teamId: apns.teamId, keyId: apns.keyId, privateKey: apns.privateKey },
      webpush: { baseUrl: webpush.baseUrl, subscriptions },
    },
    close: async () => {
      await Promise.all([fcm.close(), hms.close(), apns.close(), webpush.close()]);
    },
  };
}
