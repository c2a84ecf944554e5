import net from 'node:net';

/** One HTTP/1.1 answer as it came over the wire, or what happened instead. */
export interface RawReply {
  /** 0 when the connection closed (or timed out) before a status line came. */
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** Seconds waited without an answer: set when the request hung. */
  timedOut?: boolean;
}

/**
 * Writes exact request bytes on a fresh loopback connection and reads the first answer; `halfClose` ends the
 * sending side at once, as a client that gave up on a request it cut short.
 */
export function rawRequest(baseUrl: string, bytes: Buffer, timeoutMs: number, halfClose = false): Promise<RawReply> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = net.connect({ host: hostname, port: Number(port) });
    let settled = false;
    const finish = (timedOut = false) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...parseReply(Buffer.concat(chunks)), ...(timedOut ? { timedOut } : {}) });
    };
    const timer = setTimeout(() => finish(true), timeoutMs);
    socket.on('connect', () => {
      if (halfClose) socket.end(bytes);
      else socket.write(bytes);
    });
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      if (complete(Buffer.concat(chunks))) finish();
    });
    socket.on('error', () => finish());
    socket.on('close', () => finish());
  });
}

/** The first response's head, split into status and lower-cased headers, or undefined while incomplete. */
function head(buf: Buffer): { status: number; headers: Record<string, string>; rest: Buffer } | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine = '', ...lines] = buf.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status, headers, rest: buf.subarray(end + 4) };
}

/** Decodes a chunked body; undefined until its last chunk arrived. */
function dechunk(buf: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = buf.indexOf('\r\n', at);
    if (eol < 0) return undefined;
    const size = Number.parseInt(buf.subarray(at, eol).toString('latin1'), 16);
    if (Number.isNaN(size)) return Buffer.concat(parts);
    if (size === 0) return Buffer.concat(parts);
    if (buf.length < eol + 2 + size + 2) return undefined;
    parts.push(buf.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

/** A HEAD, 1xx, 204 or 304 answer has no body whatever its headers say. */
const bodiless = (status: number) => status < 200 || status === 204 || status === 304;

function complete(buf: Buffer): boolean {
  const h = head(buf);
  if (!h) return false;
  if (bodiless(h.status)) return true;
  if (h.headers['transfer-encoding']?.includes('chunked')) return dechunk(h.rest) !== undefined;
  const length = h.headers['content-length'];
  return length !== undefined && h.rest.length >= Number(length);
}

function parseReply(buf: Buffer): Omit<RawReply, 'timedOut'> {
  const h = head(buf);
  if (!h) return { status: 0, headers: {}, body: buf };
  if (h.headers['transfer-encoding']?.includes('chunked')) {
    return { status: h.status, headers: h.headers, body: dechunk(h.rest) ?? h.rest };
  }
  const length = h.headers['content-length'];
  // Everything after the head when the length is absent: bytes a HEAD answer must not carry show up here.
  return {
    status: h.status,
    headers: h.headers,
    body: length === undefined ? h.rest : h.rest.subarray(0, Number(length)),
  };
}

/** The bytes of a request: a request line, headers in the order given, and the body. */
export function requestBytes(
  method: string,
  target: string,
  headers: Array<[string, string]>,
  body?: Buffer | string,
): Buffer {
  const lines = [`${method} ${target} HTTP/1.1`, ...headers.map(([k, v]) => `${k}: ${v}`)];
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8'), Buffer.from(body ?? '')]);
}
