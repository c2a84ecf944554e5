import { randomUUID } from 'node:crypto';
import type { DeviceView } from './device-view.js';

export type ProviderName = 'fcm' | 'hms' | 'apns' | 'webpush';

/** One message an emulator accepted, as the inspection API shows it. */
export interface RecordedMessage {
  id: string;
  provider: ProviderName;
  /** The device token (FCM registration token, HMS token, APNs device token, Web Push subscription id). */
  token: string;
  /** Arrival time, epoch milliseconds. */
  receivedAt: number;
  /** Request headers, lower-case names (HTTP/2 pseudo-headers omitted). */
  headers: Record<string, string>;
  /** The decoded (Web Push: decrypted) payload. */
  payload: unknown;
  device: DeviceView;
}

export interface MessageQuery {
  token?: string;
  /** Only messages received at or after this epoch-ms time. */
  since?: number;
}

type Listener = (message: RecordedMessage) => void;

/** In-memory record of accepted messages, with a bounded size so a long benchmark cannot exhaust memory. */
export class MessageStore {
  private messages: RecordedMessage[] = [];
  private readonly listeners = new Set<Listener>();

  constructor(
    readonly provider: ProviderName,
    private readonly limit = 100_000,
  ) {}

  record(token: string, headers: Record<string, string>, payload: unknown, device: DeviceView): RecordedMessage {
    const message: RecordedMessage = {
      id: randomUUID(),
      provider: this.provider,
      token,
      receivedAt: Date.now(),
      headers,
      payload,
      device,
    };
    this.messages.push(message);
    if (this.messages.length > this.limit) this.messages.splice(0, this.messages.length - this.limit);
    for (const listener of this.listeners) listener(message);
    return message;
  }

  list(query: MessageQuery = {}): RecordedMessage[] {
    return this.messages.filter(
      (m) =>
        (query.token === undefined || m.token === query.token) &&
        (query.since === undefined || m.receivedAt >= query.since),
    );
  }

  clear(): void {
    this.messages = [];
  }

  /** Calls `listener` for every message recorded from now on; returns the unsubscribe function. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves with the first message (already recorded or arriving) that matches, or rejects after `timeoutMs`. */
  waitFor(predicate: (m: RecordedMessage) => boolean, timeoutMs = 5000): Promise<RecordedMessage> {
    const found = this.messages.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        unsubscribe();
        reject(new Error(`no matching ${this.provider} message within ${timeoutMs} ms`));
      }, timeoutMs);
      const unsubscribe = this.subscribe((m) => {
        if (!predicate(m)) return;
        clearTimeout(timer);
        unsubscribe();
        resolve(m);
      });
    });
  }
}
