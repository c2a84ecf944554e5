import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Received {
  id: string;
  type: string;
  data: Record<string, unknown>;
  signatures: number;
  at: number;
  /** The request as it came, for verifiers other than the listener's. */
  headers: Record<string, string>;
  body: string;
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  /** Never answer: the request stays open until the server closes. */
  hang?: boolean;
  delayMs?: number;
}

/**
 * The app backend of the tests: a plain HTTP server that verifies every delivery with the official
 * `standardwebhooks` library against the secrets it was given, and answers as the test says.
 */
export class Listener {
  readonly received: Received[] = [];
  /** Deliveries no given secret verified (should stay empty). */
  readonly unverified: string[] = [];
  secrets: string[] = [];
  answer: (n: number) => Answer = () => ({ status: 204 });
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = req.headers as Record<string, string>;
      const verified = this.secrets.some((secret) => {
        try {
          new Webhook(secret).verify(body, headers);
          return true;
        } catch {
          return false;
        }
      });
      if (!verified) this.unverified.push(body);
      const payload = JSON.parse(body) as { type: string; data: Record<string, unknown> };
      const n = this.received.length;
      this.received.push({
        id: headers['webhook-id']!,
        type: payload.type,
        data: payload.data,
        signatures: headers['webhook-signature']!.split(' ').length,
        at: Date.now(),
        headers,
        body,
      });
      const answer = this.answer(n);
      if (answer.hang) return;
      setTimeout(() => res.writeHead(answer.status, answer.headers).end('ignored by the gateway'), answer.delayMs ?? 0);
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
  }

  /** The events received of `subject` (by a `seq` field the tests put in their data), first arrival of each. */
  firstArrivals(subject: string): number[] {
    const seen = new Set<string>();
    return this.received
      .filter((r) => r.data.subject === subject && !seen.has(r.id) && seen.add(r.id))
      .map((r) => r.data.n as number);
  }

  reset(): void {
    this.received.length = 0;
    this.unverified.length = 0;
    this.answer = () => ({ status: 204 });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
