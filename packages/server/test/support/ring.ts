import diagnostics from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { onTestFinished } from 'vitest';
import type { CancelReason, RingMessage } from '../../src/kernel/wire.js';
import type { PushRequest, PushTarget } from '../../src/providers/contract.js';

/** Provider-client test helpers: rings with a deadline, devices, and a count of HTTP/1.1 requests made. */

let calls = 0;

/** A ring for `to` whose deadline is `msLeft` from now; each gets its own call id. */
export function ring(msLeft = 30_000, overrides: { displayName?: string } = {}): PushRequest {
  const callId = `c_test${++calls}`;
  const sentAt = Date.now();
  return {
    message: {
      v: 1,
      type: 'call.ring',
      callId,
      app: 'app_test',
      from: 'alice',
      to: 'bob',
      displayName: overrides.displayName ?? 'Alice',
      video: true,
      headers: { room: 'r1' },
      sentAt,
      expiresAt: sentAt + msLeft,
    },
    deadline: sentAt + msLeft,
    collapseId: callId,
  };
}

/** The cancel of `ring` as the dispatcher sends it: same call, deadline and collapse id. */
export function cancel(ring: PushRequest, reason: CancelReason = 'answered_elsewhere'): PushRequest {
  const { callId, app, from, to, expiresAt } = ring.message as RingMessage;
  return {
    ...ring,
    message: { v: 1, type: 'call.cancel', callId, app, from, to, reason, sentAt: Date.now(), expiresAt },
  };
}

export function devices(...tokens: string[]): PushTarget[] {
  return tokens.map((token, i) => ({ deviceId: `d_${i}`, token, kind: 'alert' }));
}

/**
 * Counts the HTTP/1.1 requests this process makes whose path matches, through Node's own diagnostics
 * channel (the requests really go out; nothing is intercepted), until the current test finishes.
 */
export function countRequests(path: RegExp): { readonly count: number } {
  let count = 0;
  const onStart = (message: unknown) => {
    if (path.test((message as { request: ClientRequest }).request.path)) count += 1;
  };
  diagnostics.subscribe('http.client.request.start', onStart);
  onTestFinished(() => {
    diagnostics.unsubscribe('http.client.request.start', onStart);
  });
  return {
    get count() {
      return count;
    },
  };
}
