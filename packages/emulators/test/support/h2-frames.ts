import { connect, type TLSSocket } from 'node:tls';

/** The frame types, flags, setting and error codes the tests read (RFC 9113 §6, §7). */
export const FRAME = { DATA: 0x0, HEADERS: 0x1, RST_STREAM: 0x3, SETTINGS: 0x4, GOAWAY: 0x7 } as const;
const END_STREAM = 0x1;
const END_HEADERS = 0x4;
const ACK = 0x1;
export const MAX_CONCURRENT_STREAMS = 0x3;
export const ERROR = { PROTOCOL_ERROR: 0x1, REFUSED_STREAM: 0x7 } as const;

export interface Frame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

/** A SETTINGS frame the server sent, not its acknowledgement of ours. */
export const isServerSettings = (f: Frame): boolean => f.type === FRAME.SETTINGS && (f.flags & ACK) === 0;

/** The value a SETTINGS frame gives `id`, if it names it. */
export function setting(frame: Frame, id: number): number | undefined {
  for (let at = 0; at + 6 <= frame.payload.length; at += 6) {
    if (frame.payload.readUInt16BE(at) === id) return frame.payload.readUInt32BE(at + 2);
  }
  return undefined;
}

/** An HPACK integer with a `prefix`-bit prefix (RFC 7541 §5.1). */
function hpackInt(value: number, prefix: number): number[] {
  const max = (1 << prefix) - 1;
  if (value < max) return [value];
  const out = [max];
  let rest = value - max;
  for (; rest >= 128; rest = Math.floor(rest / 128)) out.push((rest % 128) + 128);
  out.push(rest);
  return out;
}

/** A header block of literals without indexing or Huffman coding (RFC 7541 §6.2.2): every decoder reads them. */
function headerBlock(fields: Array<[string, string]>): Buffer {
  const bytes: number[] = [];
  for (const [name, value] of fields) {
    const [n, v] = [Buffer.from(name), Buffer.from(value)];
    bytes.push(0x00, ...hpackInt(n.length, 7), ...n, ...hpackInt(v.length, 7), ...v);
  }
  return Buffer.from(bytes);
}

/** One HTTP/2 frame: its 9-byte header, then the payload. */
export function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId, 5);
  return Buffer.concat([head, payload]);
}

/**
 * An HTTP/2 client written frame by frame, for what node:http2 will not do: it acknowledges the server's
 * SETTINGS only when told, so a test can open a stream past a limit the server has just lowered, as a client
 * whose streams crossed the new SETTINGS on the wire does.
 */
export class FrameConnection {
  /** Every frame received so far, in order. */
  readonly frames: Frame[] = [];
  private unread = Buffer.alloc(0);
  private readonly waiting = new Set<() => void>();

  private constructor(private readonly socket: TLSSocket) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => {});
    socket.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
    socket.write(frame(FRAME.SETTINGS, 0, 0));
  }

  /** Connects over TLS with ALPN h2 and sends the preface and an empty SETTINGS frame. */
  static open(port: number, ca: string): Promise<FrameConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, ca, ALPNProtocols: ['h2'] }, () =>
        resolve(new FrameConnection(socket)),
      );
      socket.once('error', reject);
    });
  }

  /** Resolves with the frames matching `match` once there are `count` of them; rejects after `ms`. */
  waitFor(count: number, match: (f: Frame) => boolean, ms = 5000): Promise<Frame[]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(check);
        const got = this.frames.map((f) => `${f.type}@${f.streamId}`).join(' ');
        reject(new Error(`fewer than ${count} matching frames within ${ms} ms; received (type@stream): ${got}`));
      }, ms);
      const check = () => {
        const found = this.frames.filter(match);
        if (found.length < count) return;
        clearTimeout(timer);
        this.waiting.delete(check);
        resolve(found);
      };
      this.waiting.add(check);
      check();
    });
  }

  /** Resolves once the server has closed the connection. */
  closed(): Promise<void> {
    if (this.socket.closed) return Promise.resolve();
    return new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  ackSettings(): void {
    this.socket.write(frame(FRAME.SETTINGS, ACK, 0));
  }

  /** Opens stream `streamId` with `fields`; with `body` it is sent and the stream half-closed, else left open. */
  request(streamId: number, fields: Array<[string, string]>, body?: string): void {
    this.socket.write(frame(FRAME.HEADERS, END_HEADERS, streamId, headerBlock(fields)));
    if (body !== undefined) this.end(streamId, body);
  }

  /** Sends the rest of a stream's body and half-closes it. */
  end(streamId: number, body: string): void {
    this.socket.write(frame(FRAME.DATA, END_STREAM, streamId, Buffer.from(body)));
  }

  close(): void {
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    this.unread = Buffer.concat([this.unread, chunk]);
    while (this.unread.length >= 9) {
      const length = this.unread.readUIntBE(0, 3);
      if (this.unread.length < 9 + length) break;
      this.frames.push({
        type: this.unread[3] as number,
        flags: this.unread[4] as number,
        streamId: this.unread.readUInt32BE(5) & 0x7fffffff,
        payload: Buffer.from(this.unread.subarray(9, 9 + length)),
      });
      this.unread = this.unread.subarray(9 + length);
    }
    for (const check of [...this.waiting]) check();
  }
}
