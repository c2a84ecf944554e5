import { createHmac, randomUUID } from 'node:crypto';
import { BehaviourError } from '../core/behaviours.js';
import { type AnyRequest, type AnyResponse, send, sendJson } from '../core/http.js';
import type { ExtraRoutes } from '../core/inspection.js';

/**
 * Push Kit's message receipts as Huawei posts them to the receipt URL of an AppGallery Connect receipt
 * configuration: after a message that names the configuration (`android.receipt_id` on v1,
 * `pushOptions.receiptId` on v3) was accepted, one POST per request with a status per accepted token. v1 sends
 * are reported in the v1 receipt shape, v3 sends in the v2 shape (`deliveryStatus`), as Huawei does.
 */
export interface HmsReceiptConfig {
  /** Where receipts go (the callback address set in AppGallery Connect). */
  url: string;
  /** The callback user name and key: with both, every POST carries `X-HUAWEI-CALLBACK-ID`. */
  username?: string;
  key?: string;
  /** The receipt configuration's id; when set, only messages naming it are reported. */
  receiptId?: string;
  /** How long after the accepted send the receipt goes (default 20 ms): the device's answer takes a moment. */
  delayMs?: number;
}

/** One receipt POST the emulator made, with the answer it got. */
export interface PostedReceipt {
  at: number;
  url: string;
  body: { statuses: Array<Record<string, unknown>> };
  /** The callback's HTTP status, or `error` when no answer came. */
  status: number | 'error';
}

/** What one accepted request reports. */
export interface ReceiptSubject {
  api: 'v1' | 'v3';
  requestId: string;
  tokens: string[];
  /** The message as accepted (v1: `message` without its tokens; v3: the body without its target). */
  message: Record<string, unknown>;
  appId: string;
  pushType?: number;
}

/** Package name the v2 receipts name, for a virtual app. */
const PACKAGE_NAME = 'com.callpush.emulator';

/**
 * `X-HUAWEI-CALLBACK-ID`: `timestamp=<ms>;nonce=<uuid>;value=<base64 HMAC-SHA256(key, timestamp + nonce + user
 * name)>`. The value covers neither the body nor the URL: it proves only that the sender knows the key.
 */
export function hmsCallbackId(username: string, key: string, timestamp: number, nonce: string): string {
  const value = createHmac('sha256', key).update(`${timestamp}${nonce}${username}`).digest('base64');
  return `timestamp=${timestamp};nonce=${nonce};value=${value}`;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const optionalString = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export class HmsReceipts {
  private config: HmsReceiptConfig | undefined;
  private readonly statuses = new Map<string, number>();
  private readonly log: PostedReceipt[] = [];
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    config: HmsReceiptConfig | undefined,
    private readonly now: () => number,
  ) {
    this.config = config;
  }

  /** Sets (or, with undefined, removes) the receipt configuration. */
  configure(config: HmsReceiptConfig | undefined): void {
    this.config = config;
  }

  /** The receipt configuration, if there is one. */
  current(): HmsReceiptConfig | undefined {
    return this.config;
  }

  /** The receipt status `token` reports from now on (0 delivered; 2 app not installed, 10 inactive device, ...). */
  setStatus(token: string, status: number): void {
    this.statuses.set(token, status);
  }

  clearStatuses(token?: string): void {
    if (token === undefined) this.statuses.clear();
    else this.statuses.delete(token);
  }

  /** Every receipt POST so far, oldest first. */
  posted(): PostedReceipt[] {
    return [...this.log];
  }

  /** Posts the receipt of an accepted request later, when the message asks for receipts and one is configured. */
  schedule(subject: ReceiptSubject): void {
    const config = this.config;
    const receiptId = receiptIdOf(subject);
    if (!config || receiptId === undefined) return;
    if (config.receiptId !== undefined && config.receiptId !== receiptId) return;
    const post = new Promise<void>((resolve) => setTimeout(resolve, config.delayMs ?? 20))
      .then(() => this.post(config, subject))
      .finally(() => this.inFlight.delete(post));
    this.inFlight.add(post);
  }

  /** Waits for the receipts under way (closing the emulator). */
  async settle(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  private async post(config: HmsReceiptConfig, subject: ReceiptSubject): Promise<void> {
    const body = { statuses: subject.tokens.map((token) => this.statusOf(subject, token)) };
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (config.username !== undefined && config.key !== undefined) {
      headers['x-huawei-callback-id'] = hmsCallbackId(config.username, config.key, this.now(), randomUUID());
    }
    let status: number | 'error';
    try {
      const res = await fetch(config.url, { method: 'POST', headers, body: JSON.stringify(body) });
      await res.arrayBuffer();
      status = res.status;
    } catch {
      status = 'error';
    }
    this.log.push({ at: this.now(), url: config.url, body, status });
  }

  private statusOf(subject: ReceiptSubject, token: string): Record<string, unknown> {
    const result = this.statuses.get(token) ?? 0;
    const timestamp = this.now();
    const biTag = biTagOf(subject);
    if (subject.api === 'v1') {
      return {
        ...(biTag ? { biTag } : {}),
        appid: subject.appId,
        token,
        status: result,
        timestamp,
        requestId: subject.requestId,
      };
    }
    return {
      token,
      pushType: subject.pushType,
      appPackageName: PACKAGE_NAME,
      ...(biTag ? { biTag } : {}),
      requestId: subject.requestId,
      deliveryStatus: { result, timestamp },
    };
  }
}

function receiptIdOf({ api, message }: ReceiptSubject): string | undefined {
  if (api === 'v1') return isObject(message.android) ? optionalString(message.android.receipt_id) : undefined;
  return isObject(message.pushOptions) ? optionalString(message.pushOptions.receiptId) : undefined;
}

function biTagOf({ api, message }: ReceiptSubject): string | undefined {
  if (api === 'v1') return isObject(message.android) ? optionalString(message.android.bi_tag) : undefined;
  return isObject(message.pushOptions) ? optionalString(message.pushOptions.biTag) : undefined;
}

/** Reads `PUT /_emulator/receipts`: `{"url", "username"?, "key"?, "receiptId"?, "delayMs"?}`. */
function parseReceiptConfig(body: unknown): HmsReceiptConfig {
  if (!isObject(body)) throw new BehaviourError('body must be a JSON object', 'body');
  const { url, username, key, receiptId, delayMs } = body;
  if (typeof url !== 'string' || !URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
    throw new BehaviourError('url must be an http(s) URL', 'url');
  }
  for (const [field, value] of Object.entries({ username, key, receiptId })) {
    if (value !== undefined && (typeof value !== 'string' || value === '')) {
      throw new BehaviourError(`${field} must be a non-empty string`, field);
    }
  }
  if (delayMs !== undefined && (typeof delayMs !== 'number' || !Number.isInteger(delayMs) || delayMs < 0)) {
    throw new BehaviourError('delayMs must be a non-negative integer', 'delayMs');
  }
  return body as unknown as HmsReceiptConfig;
}

/**
 * The receipt routes of the inspection API: `PUT|DELETE /_emulator/receipts` (the configuration),
 * `GET /_emulator/receipts` (the configuration without its key, and what was posted), and
 * `POST|DELETE /_emulator/receipt-statuses` (`{"token","status"}`: the status a token reports).
 */
export function receiptRoutes(receipts: HmsReceipts): ExtraRoutes {
  const noContent = (res: AnyResponse) => send(res, 204);
  return {
    'PUT receipts': (_req: AnyRequest, res: AnyResponse, body: unknown) => {
      receipts.configure(parseReceiptConfig(body));
      noContent(res);
    },
    'DELETE receipts': (_req: AnyRequest, res: AnyResponse) => {
      receipts.configure(undefined);
      noContent(res);
    },
    'GET receipts': (_req: AnyRequest, res: AnyResponse) => {
      const config = receipts.current();
      const shown = config && { ...config, key: config.key === undefined ? undefined : '[set]' };
      sendJson(res, 200, { config: shown ?? null, posted: receipts.posted() });
    },
    'POST receipt-statuses': (_req: AnyRequest, res: AnyResponse, body: unknown) => {
      if (!isObject(body)) throw new BehaviourError('body must be a JSON object', 'body');
      const { token, status } = body;
      if (typeof token !== 'string' || token === '')
        throw new BehaviourError('token must be a non-empty string', 'token');
      if (typeof status !== 'number' || !Number.isInteger(status) || status < 0) {
        throw new BehaviourError('status must be a non-negative integer', 'status');
      }
      receipts.setStatus(token, status);
      sendJson(res, 201, { token, status });
    },
    'DELETE receipt-statuses': (req: AnyRequest, res: AnyResponse) => {
      receipts.clearStatuses(new URL(req.url ?? '/', 'http://emulator').searchParams.get('token') ?? undefined);
      noContent(res);
    },
  };
}
