import WebSocket, { type RawData } from 'ws';
import { serveRpc } from './ipc.js';
import { forEachConcurrently } from './pool.js';

/**
 * Bench helper process: a fleet of active-connection clients (docs/active-connection.md). Each socket sends
 * its hello, waits for `ready`, then idles: it answers pings and records (and acknowledges) rings. The
 * sockets live here, not in the gateway's process, so the gateway's memory is the gateway's alone.
 */

export interface Device {
  token: string;
  deviceId: string;
}

export interface ConnectSpec {
  /** `ws://…/v1/connect`. */
  url: string;
  devices: Device[];
  /** Loopback source addresses, taken in turn by the sockets (more sockets than one address has ports). */
  localAddresses: string[];
  /** Sockets between creation and `ready` at once. */
  concurrency: number;
  /** Longest wait for one socket's `ready`. */
  timeoutMs: number;
}

export interface ConnectResult {
  ready: number;
  /** Sockets that never got `ready`, by reason. */
  failures: Record<string, number>;
  /** Socket created → `ready` received, ms, one per ready socket. */
  readyMs: number[];
  /** From the first socket created to the last `ready`, ms. */
  elapsedMs: number;
}

export interface FleetStats {
  open: number;
  pings: number;
  /** Ready sockets the gateway closed, by close code. */
  closes: Record<string, number>;
  rings: number;
}

const PONG = JSON.stringify({ type: 'pong' });

const sockets = new Set<WebSocket>();
const closes: Record<string, number> = {};
let pings = 0;
/** [callId, epoch ms received] of every ring frame since the last drain. */
let rings: Array<[string, number]> = [];
let shuttingDown = false;

function onFrame(ws: WebSocket, data: RawData): string {
  const frame = JSON.parse(data.toString()) as { type?: string; callId?: string };
  if (frame.type === 'ping') {
    pings++;
    ws.send(PONG);
  } else if (frame.type === 'call.ring' && frame.callId) {
    rings.push([frame.callId, Date.now()]);
    // What a real client does: the receipt stops the gateway's push fallback for this device.
    ws.send(JSON.stringify({ type: 'receipt', callId: frame.callId }));
  }
  return frame.type ?? '';
}

/** Opens one socket; resolves with ms to `ready`, rejects with a short reason. */
function open(spec: ConnectSpec, device: Device, localAddress: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const ws = new WebSocket(spec.url, { perMessageDeflate: false, localAddress });
    let ready = false;
    const timer = setTimeout(() => {
      reject(new Error('no ready in time'));
      ws.terminate();
    }, spec.timeoutMs);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', token: device.token, deviceId: device.deviceId })));
    ws.on('message', (data) => {
      if (onFrame(ws, data) !== 'ready' || ready) return;
      ready = true;
      clearTimeout(timer);
      sockets.add(ws);
      resolve(performance.now() - started);
    });
    ws.on('error', (err: NodeJS.ErrnoException) => reject(new Error(err.code ?? err.message)));
    ws.on('close', (code) => {
      clearTimeout(timer);
      sockets.delete(ws);
      if (!ready) reject(new Error(`closed ${code} before ready`));
      else if (!shuttingDown) closes[code] = (closes[code] ?? 0) + 1;
    });
  });
}

async function connect(spec: ConnectSpec): Promise<ConnectResult> {
  const result: ConnectResult = { ready: 0, failures: {}, readyMs: [], elapsedMs: 0 };
  const started = performance.now();
  await forEachConcurrently(spec.devices.length, spec.concurrency, async (i) => {
    try {
      const address = spec.localAddresses[i % spec.localAddresses.length]!;
      result.readyMs.push(await open(spec, spec.devices[i]!, address));
      result.ready++;
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      result.failures[why] = (result.failures[why] ?? 0) + 1;
    }
  });
  result.elapsedMs = performance.now() - started;
  return result;
}

/** Closes every socket (1000) and waits, at most `timeoutMs`, for the closes to complete. */
async function closeAll(timeoutMs: number): Promise<number> {
  shuttingDown = true;
  const all = [...sockets];
  const closed = all.map((ws) => new Promise<void>((resolve) => ws.once('close', () => resolve())));
  for (const ws of all) ws.close(1000);
  const timer = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref());
  await Promise.race([Promise.all(closed), timer]);
  for (const ws of sockets) ws.terminate();
  return all.length;
}

export const socketHandlers = {
  connect: (spec: ConnectSpec) => connect(spec),
  stats: (_: undefined): FleetStats => ({ open: sockets.size, pings, closes: { ...closes }, rings: rings.length }),
  /** Hands over the rings received since the last drain and forgets them. */
  drainRings: (_: undefined) => {
    const out = rings;
    rings = [];
    return out;
  },
  closeAll: ({ timeoutMs }: { timeoutMs: number }) => closeAll(timeoutMs),
};

serveRpc(socketHandlers, { pid: process.pid }, async () => {
  for (const ws of sockets) ws.terminate();
});
