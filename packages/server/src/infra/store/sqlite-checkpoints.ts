import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** How often the worker folds the WAL back into the database file. */
const CHECKPOINT_EVERY_MS = 1000;

/**
 * Runs in the worker (CommonJS, given as source so it needs no file of its own next to the built or the
 * TypeScript module). A PASSIVE checkpoint never blocks the gateway's writer; it copies what it can and
 * `fsync`s the database file here, not on the event loop.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 5000');
const checkpoint = () => db.pragma('wal_checkpoint(PASSIVE)');
const timer = setInterval(checkpoint, workerData.everyMs);
parentPort.on('message', () => {
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

export interface Checkpointer {
  /** A last checkpoint, then the worker stops. */
  stop(): Promise<void>;
}

/**
 * SQLite checkpoints itself inside whichever commit crosses `wal_autocheckpoint` pages, `fsync`ing the
 * database on the event loop: stalls of 5–15 ms in the middle of a ring burst. The gateway's connection
 * turns that off and a worker thread checkpoints every second instead.
 */
export function startCheckpointer(file: string, onLost: () => void): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, file, everyMs: CHECKPOINT_EVERY_MS } });
  let stopping = false;
  // A worker that failed (a checkpoint threw, it could not open the file) must not let the WAL grow forever.
  worker.on('error', () => {});
  const exited = new Promise<void>((resolve) =>
    worker.once('exit', () => {
      if (!stopping) onLost();
      resolve();
    }),
  );
  worker.unref();
  return {
    stop: async () => {
      stopping = true;
      // Held while it finishes: unreferenced, the process could end before the last checkpoint.
      worker.ref();
      worker.postMessage('stop');
      await exited;
    },
  };
}
