import { randomBytes } from 'node:crypto';
import net from 'node:net';

/**
 * A WebSocket client that writes whatever frames it is told, well-formed or not (RFC 6455 framing by hand:
 * the fuzz needs reserved bits, bad opcodes, unmasked and oversized frames no library will send), and reads
 * the server's frames back.
 */

export interface FrameSpec {
  opcode: number;
  payload: Buffer;
  fin?: boolean;
  /** RSV1-3 bits, 0-7. */
  rsv?: number;
  masked?: boolean;
  /** A length field that lies about the payload that follows. */
  declaredLength?: bigint;
}

export function encodeFrame(f: FrameSpec): Buffer {
  const masked = f.masked ?? true;
  const length = f.declaredLength ?? BigInt(f.payload.length);
  const first = ((f.fin ?? true) ? 0x80 : 0) | ((f.rsv ?? 0) << 4) | (f.opcode & 0x0f);
  let head: Buffer;
  if (length < 126n) head = Buffer.from([first, Number(length)]);
  else if (length < 65_536n) {
    head = Buffer.alloc(4);
    head[0] = first;
    head[1] = 126;
    head.writeUInt16BE(Number(length), 2);
  } else {
    head = Buffer.alloc(10);
    head[0] = first;
    head[1] = 127;
    head.writeBigUInt64BE(length, 2);
  }
  if (masked) head[1]! |= 0x80;
  const mask = randomBytes(4);
  const body = masked ? Buffer.from(f.payload.map((b, i) => b ^ mask[i % 4]!)) : f.payload;
  return Buffer.concat([head, masked ? mask : Buffer.alloc(0), body]);
}

/** What the server sent on one connection. */
export interface WsTranscript {
  /** The status of the upgrade answer (101 when it was upgraded), 0 when none came. */
  status: number;
  /** The text frames the server sent. */
  texts: string[];
  /** The close frame's code (1005 when it had none), or undefined when the server sent none. */
  closeCode?: number;
  closeReason?: string;
  /** The server ended the TCP connection. */
  ended: boolean;
}

/** Reads the server's frames (never masked) from the bytes after the upgrade answer. */
function readFrames(buf: Buffer, t: WsTranscript): Buffer {
  for (;;) {
    if (buf.length < 2) return buf;
    let length = buf[1]! & 0x7f;
    let at = 2;
    if (length === 126) {
      if (buf.length < 4) return buf;
      length = buf.readUInt16BE(2);
      at = 4;
    } else if (length === 127) {
      if (buf.length < 10) return buf;
      length = Number(buf.readBigUInt64BE(2));
      at = 10;
    }
    if (buf.length < at + length) return buf;
    const opcode = buf[0]! & 0x0f;
    const payload = buf.subarray(at, at + length);
    if (opcode === 0x1) t.texts.push(payload.toString('utf8'));
    if (opcode === 0x8) {
      t.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      t.closeReason = payload.subarray(2).toString('utf8');
    }
    buf = buf.subarray(at + length);
  }
}

export interface Session {
  transcript: WsTranscript;
  /** Writes raw bytes (frames) on the upgraded connection. */
  write(bytes: Buffer): void;
  /** Resolves when the server closed, or after `ms` of waiting. */
  settle(ms: number): Promise<void>;
  /** Resolves true once the text frames received so far match, false when the server closed or `ms` passed. */
  until(match: (texts: string[]) => boolean, ms: number): Promise<boolean>;
  destroy(): void;
}

/** Opens `path` with an upgrade request carrying `headers` (the handshake may be fuzzed too). */
export function openSession(baseUrl: string, path: string, headers: Array<[string, string]>): Promise<Session> {
  const { hostname, port } = new URL(baseUrl);
  const t: WsTranscript = { status: 0, texts: [], ended: false };
  const socket = net.connect({ host: hostname, port: Number(port) });
  let pending: Buffer = Buffer.alloc(0);
  let upgraded = false;
  let onEnd: (() => void) | undefined;
  const ended = new Promise<void>((resolve) => {
    onEnd = resolve;
  });
  socket.on('data', (d: Buffer) => {
    pending = Buffer.concat([pending, d]);
    if (!upgraded) {
      const end = pending.indexOf('\r\n\r\n');
      if (end < 0) return;
      t.status = Number(/^HTTP\/1\.1 (\d{3})/.exec(pending.subarray(0, end).toString('latin1'))?.[1] ?? 0);
      upgraded = true;
      pending = pending.subarray(end + 4);
      opened();
    }
    if (t.status === 101) pending = readFrames(pending, t);
  });
  const finish = () => {
    t.ended = true;
    onEnd?.();
  };
  socket.on('close', finish);
  socket.on('error', () => undefined);
  let opened: () => void = () => undefined;
  return new Promise((resolve) => {
    const session: Session = {
      transcript: t,
      write: (bytes) => {
        if (!socket.destroyed) socket.write(bytes);
      },
      settle: (ms) => Promise.race([ended, new Promise<void>((r) => setTimeout(r, ms))]),
      until: async (match, ms) => {
        const end = Date.now() + ms;
        while (!match(t.texts)) {
          if (t.ended || Date.now() > end) return false;
          await new Promise((r) => setTimeout(r, 10));
        }
        return true;
      },
      destroy: () => socket.destroy(),
    };
    opened = () => resolve(session);
    socket.once('close', () => resolve(session));
    socket.on('connect', () => {
      const lines = [`GET ${path} HTTP/1.1`, `Host: ${hostname}:${port}`, ...headers.map(([k, v]) => `${k}: ${v}`)];
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    });
  });
}

/** The headers of a correct upgrade request. */
export const upgradeHeaders = (): Array<[string, string]> => [
  ['Upgrade', 'websocket'],
  ['Connection', 'Upgrade'],
  ['Sec-WebSocket-Version', '13'],
  ['Sec-WebSocket-Key', randomBytes(16).toString('base64')],
];
