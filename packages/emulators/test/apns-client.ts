import { type ClientHttp2Session, connect, type IncomingHttpHeaders } from 'node:http2';
import { importPKCS8, SignJWT } from 'jose';
import type { ApnsEmulator, ProviderKey } from '../src/apns/index.js';

/** A provider token as Apple specifies it: ES256, `kid` header, `iss` team and `iat` claims. */
export async function providerToken(key: ProviderKey, iatSeconds = Math.floor(Date.now() / 1000)): Promise<string> {
  return new SignJWT({ iss: key.teamId, iat: iatSeconds })
    .setProtectedHeader({ alg: 'ES256', kid: key.keyId })
    .sign(await importPKCS8(key.privateKey, 'ES256'));
}

export interface ApnsAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown> | undefined;
}

/** One raw HTTP/2 connection to the emulator, trusting its CA: what a hand-written APNs client does. */
export class RawApnsConnection {
  readonly session: ClientHttp2Session;

  constructor(emulator: ApnsEmulator) {
    this.session = connect(emulator.baseUrl, { ca: emulator.tls.ca });
    this.session.on('error', () => {});
  }

  /** Sends one request; `body` objects are JSON-encoded, strings and Buffers go as they are. */
  request(
    headers: Record<string, string | string[]>,
    body?: unknown,
  ): Promise<ApnsAnswer & { rstCode: number | undefined }> {
    const stream = this.session.request({ ':method': 'POST', ...headers });
    const chunks: Buffer[] = [];
    let answer: IncomingHttpHeaders = {};
    stream.on('response', (h) => {
      answer = h;
    });
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('error', () => {});
    stream.end(body === undefined || typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
    return new Promise((resolve) => {
      stream.on('close', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: Number(answer[':status'] ?? 0),
          headers: answer,
          body: text === '' ? undefined : JSON.parse(text),
          rstCode: stream.rstCode,
        });
      });
    });
  }

  /** A `POST /3/device/{token}` with a valid token and `extra` headers (null removes a default). */
  push(
    token: string,
    jwt: string,
    extra: Record<string, string | string[] | null> = {},
    body: unknown = { aps: { alert: 'hi' } },
  ): Promise<ApnsAnswer & { rstCode: number | undefined }> {
    const headers: Record<string, string | string[]> = {};
    const merged = {
      ':path': `/3/device/${token}`,
      authorization: `bearer ${jwt}`,
      'apns-topic': 'com.example.phone',
      ...extra,
    };
    for (const [name, value] of Object.entries(merged)) if (value !== null) headers[name] = value;
    return this.request(headers, body);
  }

  /** Resolves once the session is gone (at once when the server already closed it). */
  close(): Promise<void> {
    if (this.session.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      this.session.once('close', () => resolve());
      this.session.close();
    });
  }
}
