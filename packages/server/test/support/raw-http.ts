import net from 'node:net';

export interface RawReply {
  status: number;
  headers: Record<string, string>;
  /** Every byte after the blank line that ends the head (a HEAD answer must have none). */
  body: string;
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies of many shapes, asserted field by field
  json: any;
}

/** Opens a TCP connection to the gateway at `baseUrl`. */
export function openTcp(baseUrl: string): Promise<net.Socket> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port), url.hostname, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Resolves once the server closed (or reset) the socket, with everything it sent. */
export function receiveAll(socket: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    let received = '';
    socket.on('data', (d: Buffer) => {
      received += d.toString('latin1');
    });
    socket.on('error', () => undefined);
    socket.once('close', () => resolve(received));
  });
}

/** Parses one HTTP/1.1 answer (status line, headers, then whatever followed). */
export function parseReply(text: string): RawReply {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) throw new Error(`no HTTP answer in ${JSON.stringify(text.slice(0, 200))}`);
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = text.slice(end + 4);
  let json: unknown;
  try {
    json = body ? JSON.parse(body) : undefined;
  } catch {
    json = undefined;
  }
  return { status: Number(statusLine!.split(' ')[1]), headers, body, json };
}

/**
 * Sends `bytes` as they are on a new connection and returns the answer. Requests should say `Connection: close`
 * (or be refused by the server, which closes): the answer is read until the socket closes.
 */
export async function rawRequest(baseUrl: string, bytes: string): Promise<RawReply> {
  const socket = await openTcp(baseUrl);
  const received = receiveAll(socket);
  socket.write(bytes, 'latin1');
  return parseReply(await received);
}
