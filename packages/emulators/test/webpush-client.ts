import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import webpush from 'web-push';
import type { IssuedSubscription, WebPushEmulator } from '../src/webpush/index.js';

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown> | undefined;
}

/** One request on a fresh connection (HTTPS trusting the emulator's CA, or plain HTTP). */
export function send(
  emulator: WebPushEmulator,
  url: string,
  {
    method = 'POST',
    headers = {},
    body,
  }: { method?: string; headers?: OutgoingHttpHeaders; body?: Buffer | string | null },
): Promise<Answer> {
  const request = emulator.secure ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false, ca: emulator.tls?.ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: text === '' ? undefined : JSON.parse(text),
        });
      });
    });
    req.on('error', reject);
    req.end(body ?? undefined);
  });
}

export const VAPID_SUBJECT = 'mailto:ops@example.com';

/**
 * What web-push would send for `payload` (encrypted, VAPID-signed with `vapid`), as headers and body a test
 * can alter before sending.
 */
export function webPushRequest(
  subscription: IssuedSubscription,
  payload: string | null,
  vapid: webpush.VapidKeys,
  options: webpush.RequestOptions = {},
): { headers: OutgoingHttpHeaders; body: Buffer | null } {
  const details = webpush.generateRequestDetails(subscription, payload ?? undefined, {
    vapidDetails: { subject: VAPID_SUBJECT, ...vapid },
    TTL: 30,
    ...options,
  });
  return { headers: { ...details.headers }, body: details.body };
}

/**
 * `Authorization: vapid t=…, k=…` with the first character of the JWT signature changed. That character
 * carries the top bits of r, so the signature really differs (the last one may carry only padding bits).
 */
export function tamperSignature(authorization: string): string {
  const at = authorization.lastIndexOf('.', authorization.indexOf(',')) + 1;
  return `${authorization.slice(0, at)}${authorization[at] === 'A' ? 'B' : 'A'}${authorization.slice(at + 1)}`;
}
