import {
  type ApnsEmulator,
  type FcmEmulator,
  generateEmulatorTls,
  type RecordedMessage,
  type ServiceAccount,
  startApnsEmulator,
  startFcmEmulator,
} from '@callpush/emulators';
import { serveRpc } from './ipc.js';

/**
 * Bench helper process: the FCM and APNs emulators (TLS, HTTP/2) on loopback, outside the process under
 * test. Instead of the inspection API it keeps, per provider, only (collapse id, arrival time) of every
 * message: the ring bench matches them with the calls it placed. `--only=fcm` starts the FCM emulator alone.
 */

export interface EmulatorInfo {
  ca: string;
  fcm: { baseUrl: string; port: number; projectId: string; serviceAccount: ServiceAccount };
  apns?: { baseUrl: string; teamId: string; keyId: string; privateKey: string };
}

/** Arrivals per provider: [collapse id (the call id), receivedAt epoch ms]. */
export type Arrivals = Record<'fcm' | 'apns', Array<[string, number]>>;

const collapseId = (m: RecordedMessage): string =>
  m.provider === 'apns'
    ? (m.headers['apns-collapse-id'] ?? '')
    : String((m.payload as { android?: { collapse_key?: string } }).android?.collapse_key ?? '');

let arrivals: Arrivals = { fcm: [], apns: [] };

function track(emulator: FcmEmulator | ApnsEmulator, provider: keyof Arrivals): void {
  emulator.messages.subscribe((m) => {
    arrivals[provider].push([collapseId(m), m.receivedAt]);
    // The store would only grow; the bench needs nothing but the arrival recorded above.
    emulator.messages.clear();
  });
}

const onlyFcm = process.argv.includes('--only=fcm');
const tls = await generateEmulatorTls();
const fcm = await startFcmEmulator({ tls, host: '127.0.0.1' });
const apns = onlyFcm ? undefined : await startApnsEmulator({ tls, host: '127.0.0.1' });
track(fcm, 'fcm');
if (apns) track(apns, 'apns');

export const emulatorHandlers = {
  /** Hands over every arrival recorded since the last drain and forgets them. */
  drain: (_: undefined): Arrivals => {
    const out = arrivals;
    arrivals = { fcm: [], apns: [] };
    return out;
  },
  counts: (_: undefined) => ({ fcm: arrivals.fcm.length, apns: arrivals.apns.length }),
  /** Like drain, but answers only how many arrived. */
  reset: (_: undefined) => {
    const counts = { fcm: arrivals.fcm.length, apns: arrivals.apns.length };
    arrivals = { fcm: [], apns: [] };
    return counts;
  },
  /** An FCM access token as the emulator's token endpoint would issue it (firebase-admin's credential). */
  accessToken: (_: undefined) => {
    const t = fcm.issueAccessToken();
    return { access_token: t.access_token, expires_in: t.expires_in };
  },
  /**
   * Makes the FCM emulator answer `tokens` after `ms` (0 removes the delay): a stand-in for the time the real
   * service takes to answer, which loopback does not have.
   */
  setFcmLatency: ({ ms, tokens }: { ms: number; tokens: string[] }) => {
    for (const token of tokens) {
      if (ms > 0) fcm.behaviours.set(token, { kind: 'latency', ms });
      else fcm.behaviours.clear(token);
    }
    return tokens.length;
  },
  /** CPU time of this process so far, microseconds. */
  cpu: (_: undefined) => {
    const u = process.cpuUsage();
    return u.user + u.system;
  },
};

const info: EmulatorInfo = {
  ca: tls.ca,
  fcm: { baseUrl: fcm.baseUrl, port: fcm.port, projectId: fcm.projectId, serviceAccount: fcm.serviceAccount },
  ...(apns
    ? { apns: { baseUrl: apns.baseUrl, teamId: apns.teamId, keyId: apns.keyId, privateKey: apns.privateKey } }
    : {}),
};
serveRpc(emulatorHandlers, info, async () => {
  await Promise.all([fcm.close(), apns?.close()]);
});
