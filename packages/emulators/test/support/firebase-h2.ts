import http2 from 'node:http2';
import tls from 'node:tls';

/**
 * Test-only redirect of firebase-admin's HTTP/2 transport to an emulator. firebase-admin 13 dials
 * `https://fcm.googleapis.com` with `http2.connect` (ignoring `httpAgent`) and sends `:scheme` as `"https:"`,
 * which Node's HTTP/2 server refuses as a protocol error. While installed, connections to that authority go
 * to `port` on loopback over TLS (trusting `ca`, SNI fcm.googleapis.com) and the scheme loses its colon.
 * Returns the function that restores `http2.connect`; always call it (afterEach/finally).
 */
export function redirectFirebaseHttp2(port: number, ca: string): () => void {
  const original = http2.connect;
  const redirected = ((authority: string | URL, ...rest: unknown[]) => {
    const options = (
      typeof rest[0] === 'object' && rest[0] !== null ? rest[0] : {}
    ) as http2.SecureClientSessionOptions;
    if (new URL(String(authority)).hostname !== 'fcm.googleapis.com') {
      return (original as (...args: unknown[]) => http2.ClientHttp2Session)(authority, ...rest);
    }
    const session = original(authority, {
      ...options,
      createConnection: () =>
        tls.connect({ host: '127.0.0.1', port, ca, servername: 'fcm.googleapis.com', ALPNProtocols: ['h2'] }),
    });
    const request = session.request.bind(session);
    session.request = (headers, requestOptions) => {
      const scheme = headers && !Array.isArray(headers) ? (headers as http2.OutgoingHttpHeaders)[':scheme'] : undefined;
      const fixed = typeof scheme === 'string' ? { ...headers, ':scheme': scheme.replace(/:$/, '') } : headers;
      return request(fixed, requestOptions);
    };
    return session;
  }) as typeof http2.connect;
  http2.connect = redirected;
  return () => {
    http2.connect = original;
  };
}
