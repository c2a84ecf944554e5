import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import type { AnyRequest, AnyResponse } from '../core/http.js';
import type { EmulatorTls } from '../core/tls.js';

export type FcmTransport = 'h2c' | 'tls';

/** FCM serves at most 100 concurrent streams per HTTP/2 connection (firebase-admin sizes its sessions to it). */
export const MAX_CONCURRENT_STREAMS = 100;

type Handler = (req: AnyRequest, res: AnyResponse) => void;

/** The client connection preface every HTTP/2 prior-knowledge (h2c) connection starts with (RFC 9113 §3.4). */
const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

/**
 * Cleartext HTTP/2 and HTTP/1.1 on one port. Node's `http2.createServer` has no `allowHTTP1` for cleartext,
 * so a plain TCP server reads the first bytes of each connection: the HTTP/2 preface hands the socket to an
 * HTTP/2 server, anything else to an HTTP/1.1 server (neither listens itself). Only prior knowledge is
 * supported, not the `Upgrade: h2c` dance, which HTTP/2 clients (node:http2, curl --http2-prior-knowledge,
 * Go, undici) do not use.
 */
function cleartextServer(handler: Handler): net.Server {
  const h1 = http.createServer(handler);
  const h2 = http2.createServer({ settings: { maxConcurrentStreams: MAX_CONCURRENT_STREAMS } }, handler);
  return net.createServer((socket) => {
    let seen = Buffer.alloc(0);
    const sniff = (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk]);
      const n = Math.min(seen.length, H2_PREFACE.length);
      const isPreface = seen.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
      if (isPreface && n < H2_PREFACE.length) return;
      socket.off('data', sniff);
      socket.pause();
      socket.unshift(seen);
      if (isPreface) {
        // The HTTP/2 session reads what is already buffered on the socket itself.
        h2.emit('connection', socket);
      } else {
        // The HTTP/1.1 parser only sees the unshifted bytes once the socket flows again.
        h1.emit('connection', socket);
        socket.resume();
      }
    };
    socket.on('data', sniff);
    socket.on('error', () => socket.destroy());
  });
}

/** TLS with ALPN `h2` and `http/1.1`, as fcm.googleapis.com negotiates. */
function tlsServer(handler: Handler, tls: EmulatorTls): net.Server {
  return http2.createSecureServer(
    {
      key: tls.key,
      cert: tls.cert,
      allowHTTP1: true,
      settings: { maxConcurrentStreams: MAX_CONCURRENT_STREAMS },
    },
    handler,
  );
}

export function createTransportServer(handler: Handler, transport: FcmTransport, tls?: EmulatorTls): net.Server {
  if (transport === 'h2c') return cleartextServer(handler);
  if (!tls) throw new Error('the tls transport needs TLS material');
  return tlsServer(handler, tls);
}
