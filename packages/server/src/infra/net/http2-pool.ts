import http2 from 'node:http2';
import { EndpointRefused, publicOnlyLookup, staticRefusal } from './endpoint-policy.js';
import {
  collectBody,
  type HttpClientOptions,
  type HttpResponse,
  REQUEST_TIMEOUT_MS,
  trustContext,
} from './http-client.js';

/**
 * Warm HTTP/2 sessions to one origin, shared by every send of a client. A session carries at most the
 * number of concurrent streams the server allows (100 on FCM). When every session is full another one is
 * opened, up to `maxSessions`, rather than leaving streams parked unseen inside nghttp2; past that, requests
 * wait here, in order and under the request timeout. A session that receives GOAWAY, fails or closes is
 * retired at once and the next request opens a fresh one. A server may lower its limit at any time (APNs drops
 * a connection to one stream after a rejected notification, docs/providers.md#apns-stream-limit): streams
 * already on their way past the new limit come back refused, unprocessed, and are sent again.
 */

/** Assumed until the server's SETTINGS arrive: FCM's limit, and what firebase-admin sizes its sessions to. */
const ASSUMED_MAX_STREAMS = 100;

/** A kept-warm pool pings its idle sessions this often: load balancers and NATs drop silent connections. */
const PING_EVERY_MS = 45_000;
/** A kept-warm pool that lost its last session opens another after this, doubling up to the cap. */
const REOPEN_FIRST_MS = 1000;
const REOPEN_MAX_MS = 60_000;

interface Slot {
  session: http2.ClientHttp2Session;
  active: number;
  limit: number;
  /** How often the server's SETTINGS lowered `limit`: a stream refused after one was refused for it. */
  lowered: number;
  usable: boolean;
  openedAt: number;
  /** Settles once the server's SETTINGS arrived, or the session closed before. */
  ready: Promise<void>;
}

/** One `request()` from the call to its answer: waiting for a stream, then on one (again after a refusal). */
interface Pending {
  readonly headers: http2.OutgoingHttpHeaders;
  readonly body: string;
  /** `performance.now()` time past which it fails, queueing included. */
  readonly giveUpAt: number;
  readonly resolve: (res: HttpResponse) => void;
  readonly reject: (err: Error) => void;
  /** Already sent once more after a refusal no lowered limit explains: a second one fails it. */
  retried: boolean;
  /** The stream carrying it; undefined while it waits for one. */
  stream: http2.ClientHttp2Stream | undefined;
  /** What failed its current stream ('error', or the timeout), reported when the stream closes. */
  failure: Error | undefined;
  /** Past its deadline, its stream cancelled: it fails when the stream closes. */
  timedOut: boolean;
}

/** How early a deadline may be taken as reached (timers fire to the millisecond). */
const TIMER_SLACK_MS = 1;

function timeoutError(): Error {
  return new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`);
}

/** Why a request failed whose stream was refused unprocessed twice, for no limit the server lowered. */
class RefusedStream extends Error {}

export class SessionPool {
  private readonly slots: Slot[] = [];
  private readonly waiting: Pending[] = [];
  /**
   * Every request not yet settled, in the order they came, which is the order of their deadlines (all get
   * the same timeout): one timer for the oldest replaces a timer per stream and per waiting request, a
   * visible cost per message.
   */
  private readonly unsettled = new Set<Pending>();
  private deadlineTimer?: NodeJS.Timeout;
  private closed = false;
  /** Set by `keepWarm`: idle sessions are pinged, and a lost last session is replaced before it is needed. */
  private pinger?: NodeJS.Timeout;
  private reopen?: NodeJS.Timeout;
  private reopenDelay = REOPEN_FIRST_MS;

  private readonly connectOptions: http2.SecureClientSessionOptions;
  /** Why the endpoint policy refuses the origin: then no session is ever opened. */
  private readonly refusal: string | undefined;

  /** `options` as for HttpClient: the CA to trust, and whether the origin may be private or plain http. */
  constructor(
    private readonly origin: string,
    options: HttpClientOptions = {},
    private readonly maxSessions = 4,
  ) {
    const allowPrivate = options.allowPrivate ?? false;
    this.refusal = staticRefusal(new URL(origin), allowPrivate);
    const secureContext = trustContext(options.ca);
    this.connectOptions = {
      ...(secureContext ? { secureContext } : {}),
      ...(allowPrivate ? {} : { lookup: publicOnlyLookup() }),
    };
  }

  /**
   * Sends one request and reads the whole answer. Rejects on network failure, on a reset stream, or after
   * REQUEST_TIMEOUT_MS (queueing included). A refused stream was not processed (RFC 9113 §8.7): one refused
   * because the server lowered its limit meanwhile is sent again as often as that happens (each time takes a
   * new lowering), one refused for another reason (a retiring session, RFC 9113 §6.8) once more. Rejects with
   * EndpointRefused when the policy refuses the origin or the address its host resolves to (the latter as the
   * cause of the stream's failure).
   */
  request(headers: http2.OutgoingHttpHeaders, body: string): Promise<HttpResponse> {
    if (this.refusal) return Promise.reject(new EndpointRefused(`the endpoint ${this.refusal}`));
    // Promise callbacks rather than `async` layers, and plain timers rather than an AbortSignal (a signal on
    // every stream costs several percent of send CPU): this runs once per message.
    return new Promise((resolve, reject) => {
      const giveUpAt = performance.now() + REQUEST_TIMEOUT_MS;
      const pending: Pending = {
        headers,
        body,
        giveUpAt,
        resolve,
        reject,
        retried: false,
        stream: undefined,
        failure: undefined,
        timedOut: false,
      };
      this.unsettled.add(pending);
      this.deadlineTimer ??= this.armDeadline(giveUpAt);
      this.dispatch(pending);
    });
  }

  /**
   * Opens a session now (TLS and HTTP/2 set up, the server's SETTINGS read) and keeps one open from then on:
   * idle sessions are pinged every PING_EVERY_MS (a ping that fails retires its session), and when the last
   * one goes (GOAWAY, idle close, failure) another is opened, with backoff, before the next ring needs it.
   * Rejects when the first session cannot be opened; keeping warm goes on regardless.
   */
  async keepWarm(): Promise<void> {
    if (this.refusal || this.closed) return;
    if (!this.pinger) {
      this.pinger = setInterval(() => this.pingIdle(), PING_EVERY_MS);
      this.pinger.unref();
    }
    await (this.slots.find((s) => s.usable) ?? this.open()).ready;
    this.reopenDelay = REOPEN_FIRST_MS;
  }

  /** How many sessions are open and since when the oldest is (epoch ms), for metrics. */
  sessions(): { open: number; oldestSince: number | undefined } {
    const usable = this.slots.filter((s) => s.usable);
    return { open: usable.length, oldestSince: usable[0]?.openedAt };
  }

  /** Closes every session gracefully (streams in flight finish) and fails the requests still waiting. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.pinger);
    clearTimeout(this.reopen);
    for (const pending of this.waiting.splice(0)) this.fail(pending, new Error('client closed'));
    await Promise.all(
      this.slots.splice(0).map(({ session }) => new Promise<void>((resolve) => session.close(() => resolve()))),
    );
  }

  /** Puts a request on a free stream, or in the queue when there is none (or others wait already). */
  private dispatch(pending: Pending): void {
    if (this.closed) {
      this.fail(pending, new Error('client closed'));
      return;
    }
    const free = this.waiting.length === 0 ? this.freeSlot() : undefined;
    if (!free) {
      this.waiting.push(pending);
      return;
    }
    free.active += 1;
    this.exchange(free, pending);
  }

  private succeed(pending: Pending, res: HttpResponse): void {
    this.unsettled.delete(pending);
    pending.resolve(res);
  }

  private fail(pending: Pending, err: Error): void {
    this.unsettled.delete(pending);
    pending.reject(err);
  }

  private armDeadline(at: number): NodeJS.Timeout {
    const timer = setTimeout(() => this.expire(), Math.max(1, at - performance.now()));
    timer.unref();
    return timer;
  }

  /** Fails every request past its deadline: a waiting one at once, one on a stream by cancelling the stream. */
  private expire(): void {
    this.deadlineTimer = undefined;
    // Timers keep whole milliseconds: a deadline within the next one is due now. Re-armed for it instead, a
    // request that waited out its time could be handed a stream (freed by this very pass) in its last
    // microseconds, and be cancelled on the wire as soon as it was sent.
    const now = performance.now() + TIMER_SLACK_MS;
    for (const pending of this.unsettled) {
      if (pending.giveUpAt > now) {
        this.deadlineTimer = this.armDeadline(pending.giveUpAt);
        return;
      }
      if (pending.timedOut) continue;
      if (pending.stream) {
        // The stream's 'close' reports the failure.
        pending.timedOut = true;
        pending.failure = timeoutError();
        pending.stream.close(http2.constants.NGHTTP2_CANCEL);
      } else {
        const index = this.waiting.indexOf(pending);
        if (index >= 0) this.waiting.splice(index, 1);
        this.fail(pending, timeoutError());
      }
    }
  }

  /** The first session with a free stream (so one session stays busy and warm), else a new one if allowed. */
  private freeSlot(): Slot | undefined {
    const slot = this.slots.find((s) => s.usable && s.active < s.limit);
    if (slot || this.slots.length >= this.maxSessions) return slot;
    return this.open();
  }

  /** Hands free streams to waiting requests, in arrival order. */
  private pump(): void {
    while (this.waiting.length > 0 && !this.closed) {
      const slot = this.freeSlot();
      if (!slot) return;
      slot.active += 1;
      this.exchange(slot, this.waiting.shift() as Pending);
    }
  }

  private open(): Slot {
    const session = http2.connect(this.origin, this.connectOptions);
    const ready = new Promise<void>((resolve, reject) => {
      session.once('remoteSettings', () => resolve());
      session.once('close', () => reject(new Error('the session closed before it was set up')));
    });
    ready.catch(() => undefined);
    const slot: Slot = {
      session,
      active: 0,
      limit: ASSUMED_MAX_STREAMS,
      lowered: 0,
      usable: true,
      openedAt: Date.now(),
      ready,
    };
    this.slots.push(slot);
    session.on('remoteSettings', (settings) => {
      const limit = settings.maxConcurrentStreams ?? ASSUMED_MAX_STREAMS;
      if (limit < slot.limit) slot.lowered += 1;
      slot.limit = limit;
      this.pump();
    });
    const retire = () => {
      if (!slot.usable) return;
      slot.usable = false;
      const index = this.slots.indexOf(slot);
      if (index >= 0) this.slots.splice(index, 1);
      this.pump();
      if (this.pinger && !this.closed && !this.slots.some((s) => s.usable)) this.scheduleReopen();
    };
    // Streams already on a retired session finish or fail on their own; the 'error' listener also keeps a
    // session failure from becoming an uncaught exception (its streams report it to their requests).
    session.on('goaway', retire);
    session.on('error', retire);
    session.on('close', retire);
    return slot;
  }

  private pingIdle(): void {
    for (const slot of this.slots) {
      if (!slot.usable || slot.active > 0) continue;
      const { session } = slot;
      try {
        session.ping((err) => {
          if (err) session.destroy();
        });
      } catch {
        // Too many pings outstanding, or the session is going: it is retired by its own events.
      }
    }
  }

  private scheduleReopen(): void {
    if (this.reopen) return;
    const delay = this.reopenDelay;
    this.reopenDelay = Math.min(REOPEN_MAX_MS, delay * 2);
    this.reopen = setTimeout(() => {
      this.reopen = undefined;
      this.keepWarm().catch(() => undefined);
    }, delay);
    this.reopen.unref();
  }

  private release(slot: Slot): void {
    slot.active -= 1;
    this.pump();
  }

  private exchange(slot: Slot, pending: Pending): void {
    let stream: http2.ClientHttp2Stream;
    try {
      stream = slot.session.request(pending.headers);
    } catch (err) {
      // The session began closing (GOAWAY) between choosing it and here: nothing was sent.
      this.release(slot);
      this.refused(pending, err instanceof Error ? err.message : String(err));
      return;
    }
    pending.stream = stream;
    // A server sends the SETTINGS lowering its limit before it refuses the streams past it: a refusal that
    // arrives once this count has moved was caused by a lowering.
    const lowered = slot.lowered;
    let settled = false;
    let answered = false;
    stream.on('response', (responseHeaders) => {
      answered = true;
      const status = Number(responseHeaders[':status']);
      collectBody(
        stream,
        (text) => {
          settled = true;
          // The answer is complete, so the stream is done: its place is free now, not at 'close' a tick
          // later, when the caller's next request would already have found the session full and opened another.
          this.release(slot);
          this.succeed(pending, { status, headers: responseHeaders, body: text });
        },
        (err) => stream.destroy(err),
      );
    });
    // 'close' always follows 'error' and knows the reset code, so failures are settled there.
    stream.on('error', (err) => {
      pending.failure = err;
    });
    stream.on('close', () => {
      pending.stream = undefined;
      if (settled) return;
      this.release(slot);
      if (answered || stream.rstCode !== http2.constants.NGHTTP2_REFUSED_STREAM || pending.timedOut) {
        this.fail(pending, pending.failure ?? new Error(`stream closed without an answer (code ${stream.rstCode})`));
      } else if (slot.lowered !== lowered) {
        this.resend(pending);
      } else {
        this.refused(pending, slot.usable ? 'stream refused by the server' : 'stream refused by a closing session');
      }
    });
    stream.end(pending.body);
  }

  /**
   * A stream the server refused without processing it, for no limit it lowered (beyond a GOAWAY's last
   * stream id, say), is sent once more, as RFC 9113 §6.8 allows; a second such refusal fails the request.
   */
  private refused(pending: Pending, why: string): void {
    if (pending.retried) {
      this.fail(pending, new RefusedStream(why));
      return;
    }
    pending.retried = true;
    this.resend(pending);
  }

  /** Sends a refused request again ahead of those waiting: it came before them, and its deadline is nearer. */
  private resend(pending: Pending): void {
    pending.failure = undefined;
    if (this.closed) {
      this.fail(pending, new Error('client closed'));
      return;
    }
    this.waiting.unshift(pending);
    this.pump();
  }
}
