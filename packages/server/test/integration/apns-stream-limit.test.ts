import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { type ApnsEmulator, startApnsEmulator } from '@callpush/emulators';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frame } from '../../../emulators/test/support/h2-frames.js';
import { SessionPool } from '../../src/infra/net/index.js';
import { createApnsClient } from '../../src/providers/apns/client.js';
import type { ProviderClient, PushOutcome, PushTarget } from '../../src/providers/contract.js';
import { emulatorApnsCredential } from '../support/credentials.js';
import { ring } from '../support/ring.js';

/**
 * APNs drops a connection to one concurrent stream when a notification on it is rejected and restores the
 * limit after the next accepted one; streams already on their way past the lowered limit come back refused,
 * unprocessed (docs/providers.md#apns-stream-limit). A burst mixing dead and live tokens must still deliver
 * every live one exactly once and report every dead one by APNs's reason.
 */
const BUNDLE_ID = 'com.example.phone';
const SENDS = 200;
// Whether a burst gets a stream refused twice is down to timing: most do, and three bursts make a pool that
// gives up after one resend fail here all but always.
const ROUNDS = 3;

let apns: ApnsEmulator;
let client: ProviderClient;

beforeAll(async () => {
  apns = await startApnsEmulator();
  client = createApnsClient(
    emulatorApnsCredential(apns, BUNDLE_ID),
    { ca: apns.tls.ca, allowPrivateEndpoints: true }, // the emulator listens on loopback
  );
});
afterAll(async () => {
  await client?.close();
  await apns?.close();
});

const voip = (): PushTarget => {
  const token = randomBytes(32).toString('hex');
  return { deviceId: `d-${token.slice(0, 8)}`, token, kind: 'voip' };
};

/** What APNs answers the i-th token of a burst: every fifth is dead, by turns malformed and unregistered. */
function expected(i: number): PushOutcome {
  if (i % 10 === 0) return { kind: 'token_gone', status: 400, reason: 'BadDeviceToken' };
  if (i % 10 === 5) return { kind: 'token_gone', status: 410, reason: 'Unregistered' };
  return { kind: 'sent', status: 200 };
}

describe('APNs stream limit: a burst of dead and live tokens', () => {
  it('delivers every live token once and reports every dead one by its reason, none as a stream failure', async () => {
    await client.send([voip()], ring()); // connection and provider token warm, as on a running gateway
    for (let round = 0; round < ROUNDS; round++) {
      const targets = Array.from({ length: SENDS }, (_, i) => {
        const target = voip();
        const { kind } = expected(i);
        if (kind !== 'sent') apns.behaviours.set(target.token, { kind: i % 10 === 0 ? 'invalid' : 'unregistered' });
        // Answers take 0 to 9 ms, so notifications keep leaving while the limit drops and comes back.
        apns.behaviours.set(target.token, { kind: 'latency', ms: (i * 7) % 10 });
        return target;
      });

      const sends: Array<Promise<PushOutcome[]>> = [];
      for (const target of targets) {
        sends.push(client.send([target], ring()));
        await nextTurn(); // one per turn of the event loop, as rings arrive on a busy gateway
      }
      const outcomes = (await Promise.all(sends)).flat();

      targets.forEach((target, i) => {
        const want = expected(i);
        if (want.kind === 'sent') expect(outcomes[i], `round ${round}, send ${i}`).toMatchObject(want);
        else expect(outcomes[i], `round ${round}, send ${i}`).toEqual(want);
        expect(apns.messages.list({ token: target.token }), `round ${round}, send ${i}`).toHaveLength(
          want.kind === 'sent' ? 1 : 0,
        );
      });
    }
  });
});

/**
 * The pool's side, pinned against an h2c server written frame by frame, which answers the n-th stream it sees
 * as scripted: `lower` sends SETTINGS restoring 1000 streams, then SETTINGS lowering them to 1, and refuses the
 * stream, as APNs does to a stream that crossed its lowered limit on the wire; `refuse` refuses it alone; `ok`
 * answers 200.
 */
type Move = 'lower' | 'refuse' | 'ok';

const maxStreams = (n: number): Buffer => {
  const entry = Buffer.alloc(6);
  entry.writeUInt16BE(0x3, 0); // SETTINGS_MAX_CONCURRENT_STREAMS
  entry.writeUInt32BE(n, 2);
  return frame(0x4, 0, 0, entry);
};
const refusal = (streamId: number): Buffer => frame(0x3, 0, streamId, Buffer.from([0, 0, 0, 0x7])); // REFUSED_STREAM
// `:status: 200` is entry 8 of HPACK's static table; END_STREAM | END_HEADERS.
const ok = (streamId: number): Buffer => frame(0x1, 0x5, streamId, Buffer.from([0x88]));

describe('SessionPool: streams refused after the limit dropped', () => {
  let server: Server;
  let origin = '';
  let script: Move[] = [];
  let streams = 0;

  beforeAll(async () => {
    server = createServer((socket: Socket) => {
      let unread = Buffer.alloc(0);
      let preface = false;
      socket.write(maxStreams(1000));
      socket.on('data', (chunk: Buffer) => {
        unread = Buffer.concat([unread, chunk]);
        if (!preface && unread.length >= 24) [preface, unread] = [true, unread.subarray(24)];
        while (preface && unread.length >= 9 && unread.length >= 9 + unread.readUIntBE(0, 3)) {
          const [type, flags, id] = [unread.readUInt8(3), unread.readUInt8(4), unread.readUInt32BE(5)];
          unread = unread.subarray(9 + unread.readUIntBE(0, 3));
          if (type === 0x4 && (flags & 0x1) === 0) socket.write(frame(0x4, 0x1, 0)); // ACK the client's SETTINGS
          if (type !== 0x1) continue; // only a HEADERS frame opens a stream
          streams += 1;
          const move = script.shift() ?? 'ok';
          if (move === 'lower') socket.write(Buffer.concat([maxStreams(1000), maxStreams(1), refusal(id)]));
          else socket.write(move === 'refuse' ? refusal(id) : ok(id));
        }
      });
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  async function send(moves: Move[]): Promise<{ status: number } | string> {
    [script, streams] = [moves, 0];
    const pool = new SessionPool(origin, { allowPrivate: true });
    try {
      return await pool.request({ ':method': 'POST', ':path': '/3/device/t' }, '{}');
    } catch (err) {
      return (err as Error).message;
    } finally {
      await pool.close();
    }
  }

  it('sends a request again each time a lowered limit refused it, until it is answered', async () => {
    expect(await send(['lower', 'lower', 'lower', 'ok'])).toMatchObject({ status: 200 });
    expect(streams).toBe(4);
  });

  it('sends a request refused for no lowered limit once more, and fails it on the second refusal', async () => {
    expect(await send(['refuse', 'ok'])).toMatchObject({ status: 200 });
    expect(await send(['refuse', 'refuse', 'ok'])).toBe('stream refused by the server');
    expect(streams).toBe(2);
  });
});
