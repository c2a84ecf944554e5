import WebSocket from 'ws';

export type Frame = Record<string, unknown> & { type: string };

/** A WebSocket client of the active connection that keeps every frame it received, for assertions. */
export interface TestSocket {
  ws: WebSocket;
  frames: Frame[];
  send(frame: unknown): void;
  /** Resolves with the first frame (already received or coming) that matches. */
  next(match: (f: Frame) => boolean, ms?: number): Promise<Frame>;
  closed: Promise<{ code: number; reason: string }>;
}

export async function openSocket(baseUrl: string): Promise<TestSocket> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/v1/connect`);
  const frames: Frame[] = [];
  const waiters = new Set<() => void>();
  ws.on('message', (data) => {
    frames.push(JSON.parse(data.toString()) as Frame);
    for (const w of waiters) w();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    ws,
    frames,
    closed,
    send: (frame) => ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame)),
    next: (match, ms = 5000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = frames.find(match);
          if (!found) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching frame within ${ms} ms; got ${JSON.stringify(frames)}`));
        }, ms);
        waiters.add(check);
        check();
      }),
  };
}

/** Opens a socket and authenticates it as `deviceId`; resolves once `ready` arrived. */
export async function connectDevice(baseUrl: string, token: string, deviceId: string): Promise<TestSocket> {
  const s = await openSocket(baseUrl);
  s.send({ type: 'hello', token, deviceId });
  await s.next((f) => f.type === 'ready');
  return s;
}
