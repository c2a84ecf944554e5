import { Webhook } from 'standardwebhooks';

/** One event as it goes out: its id (`webhook-id`, what receivers dedupe by) and the exact body signed. */
export interface SignedMessage {
  id: string;
  body: string;
}

/** The body of every event: `{"type","timestamp","data"}` (docs/events.md). */
export function eventBody(type: string, at: number, data: unknown): string {
  return JSON.stringify({ type, timestamp: new Date(at).toISOString(), data });
}

/**
 * The Standard Webhooks headers of `message` sent at `now`: one `v1,<base64>` signature per secret,
 * space-separated, so a receiver holding either secret of a rotation verifies it.
 */
export function signatureHeaders(message: SignedMessage, secrets: string[], now: number): Record<string, string> {
  const at = new Date(now);
  return {
    'webhook-id': message.id,
    'webhook-timestamp': String(Math.floor(now / 1000)),
    'webhook-signature': secrets.map((secret) => new Webhook(secret).sign(message.id, at, message.body)).join(' '),
  };
}
