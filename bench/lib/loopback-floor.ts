import { spawn } from 'node:child_process';
import http2 from 'node:http2';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Summary, summarize } from './stats.js';

/**
 * The machine's own floor under the latency figures: a bare `node:http2` request and answer between two
 * otherwise idle processes on loopback, paced at a given rate. On a virtual machine an idle process takes a
 * while to be woken and scheduled, and the less often it is woken the longer that takes, so this floor is
 * higher at low rates than at high ones; every hop of the ring path (load generator → gateway → emulator)
 * pays it.
 */
const SERVER = `
const http2 = require('node:http2');
const server = http2.createServer();
server.on('stream', (stream) => {
  stream.resume();
  stream.on('end', () => { stream.respond({ ':status': 200 }); stream.end('{"name":"m"}'); });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();`;

/** Bounded: at most `seconds` × rate requests per rate (and 5,000), each with a 2 s limit. */
export async function loopbackFloor(rates: number[], seconds: number): Promise<Map<number, Summary>> {
  const child = spawn(process.execPath, ['-e', SERVER], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
      child.once('exit', () => reject(new Error('the loopback echo server exited')));
    });
    const session = http2.connect(`http://127.0.0.1:${port}`);
    const once = () =>
      new Promise<number>((resolve, reject) => {
        const started = performance.now();
        const stream = session.request({ ':method': 'POST', ':path': '/' });
        stream.setTimeout(2000, () => stream.close(http2.constants.NGHTTP2_CANCEL));
        stream.on('error', reject);
        stream.resume();
        stream.on('end', () => resolve(performance.now() - started));
        stream.end('{"message":{}}');
      });
    for (let i = 0; i < 100; i++) await once(); // the JIT and the connection, on both sides
    const floors = new Map<number, Summary>();
    for (const rate of rates) {
      const count = Math.min(5000, Math.round(rate * seconds));
      const started = performance.now();
      const answers: Array<Promise<number>> = [];
      for (let i = 0; i < count; i++) {
        const wait = started + (1000 * i) / rate - performance.now();
        if (wait > 1) await sleep(wait);
        answers.push(once());
      }
      floors.set(rate, summarize(await Promise.all(answers)));
    }
    session.close();
    return floors;
  } finally {
    child.stdin.end();
    child.kill();
  }
}
