import { type ChildProcess, fork } from 'node:child_process';
import { withOpenFiles } from './open-files.js';

/**
 * Request/response over a forked child's IPC channel: the bench's helper processes (emulators, load
 * generator) are driven this way, so the process under test never shares an event loop with them.
 */

type Handler = (params: never) => unknown;
export type Handlers = Record<string, Handler>;

interface Request {
  id: number;
  method: string;
  params: unknown;
}

type Reply = { id: number; result: unknown } | { id: number; error: string } | { ready: unknown };

export interface Rpc<H extends Handlers> {
  /** What the child announced once ready. */
  info: unknown;
  child: ChildProcess;
  call<M extends keyof H & string>(
    method: M,
    params: Parameters<H[M]>[0],
    timeoutMs: number,
  ): Promise<Awaited<ReturnType<H[M]>>>;
  /** Disconnects, then SIGTERM, then SIGKILL if the child is still there after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * Starts `entry` under tsx with an IPC channel and waits (at most `readyTimeoutMs`) for its ready message.
 * `openFiles`: the child's open-files limit, raised to it when the current one is lower (open-files.ts).
 */
export function forkRpc<H extends Handlers>(
  entry: URL,
  args: string[],
  readyTimeoutMs: number,
  openFiles = 0,
): Promise<Rpc<H>> {
  const [execPath, execArgv] = withOpenFiles(openFiles, process.execPath, ['--import', 'tsx']);
  const child = fork(entry, args, { execPath, execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextId = 1;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', (code, signal) => {
    for (const p of pending.values()) p.reject(new Error(`${entry.pathname} exited (${code ?? signal})`));
    pending.clear();
  });

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${entry.pathname} not ready within ${readyTimeoutMs} ms`));
    }, readyTimeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${entry.pathname} exited before ready (${code})`));
    });
    child.on('message', (raw) => {
      const msg = raw as Reply;
      if ('ready' in msg) {
        clearTimeout(timer);
        resolve(rpc(msg.ready));
        return;
      }
      const p = pending.get(msg.id);
      if (!p) return;
      pending.delete(msg.id);
      if ('error' in msg) p.reject(new Error(msg.error));
      else p.resolve(msg.result);
    });
  });

  function rpc(info: unknown): Rpc<H> {
    return {
      info,
      child,
      call: (method, params, timeoutMs) =>
        new Promise((resolve, reject) => {
          const id = nextId++;
          const timer = setTimeout(() => {
            pending.delete(id);
            reject(new Error(`${method} took longer than ${timeoutMs} ms`));
          }, timeoutMs);
          pending.set(id, {
            resolve: (v) => {
              clearTimeout(timer);
              resolve(v as never);
            },
            reject: (e) => {
              clearTimeout(timer);
              reject(e);
            },
          });
          child.send({ id, method, params } satisfies Request);
        }),
      stop: (timeoutMs = 5000) => stopChild(child, exited, timeoutMs),
    };
  }
}

/** Asks a child to exit (SIGTERM) and kills it if it has not after `timeoutMs`. */
export async function stopChild(child: ChildProcess, exited: Promise<void>, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  if (child.connected) child.disconnect();
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const killed = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, timeoutMs);
  });
  await Promise.race([exited, killed]);
  clearTimeout(timer);
  await exited;
}

/** In the child: answers requests with `handlers` and announces `info` as ready. Exits when the parent goes. */
export function serveRpc(handlers: Handlers, info: unknown, onExit: () => Promise<void>): void {
  const send = process.send?.bind(process);
  if (!send) throw new Error('this module runs as a forked bench helper (no IPC channel)');
  process.on('message', (raw) => {
    const { id, method, params } = raw as Request;
    const handler = handlers[method];
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`no method ${method}`);
        return handler(params as never);
      })
      .then(
        (result) => send({ id, result }),
        (err: unknown) => send({ id, error: err instanceof Error ? err.message : String(err) }),
      );
  });
  let exiting = false;
  const exit = () => {
    if (exiting) return;
    exiting = true;
    onExit().finally(() => process.exit(0));
  };
  process.once('disconnect', exit);
  process.once('SIGTERM', exit);
  send({ ready: info });
}
