import { setTimeout as sleep } from 'node:timers/promises';
import { type CallpushClient, ok } from '@callpush/sdk';
import { CallLog, type CallView, settled, tally } from './call-log.js';
import { type TargetFlags, withApp } from './target.js';

export interface CallFlags extends TargetFlags {
  from: string;
  video?: boolean;
  header?: string[];
  displayName?: string;
  ringTimeout?: number;
}

/** How often the call is looked at while it rings. */
const POLL_MS = 200;
/** Past the ring deadline every delivery has ended; a view that still says otherwise is not waited for. */
const DEADLINE_GRACE_MS = 5000;

/** `--header room=r-42` → `{ room: 'r-42' }`; the value may hold `=` too. */
function parseHeaders(pairs: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at < 1) throw new Error(`--header ${JSON.stringify(pair)}: give key=value`);
    headers[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return headers;
}

/** `14:23:47`, local time. */
const clock = (epochMs: number) => new Date(epochMs).toTimeString().slice(0, 8);

/** Prints what happens to the call until no delivery is left to send, or until `stop` is aborted. */
async function watch(
  cp: CallpushClient,
  placed: CallView,
  print: (line: string) => void,
  stop: AbortSignal,
): Promise<CallView> {
  const log = new CallLog(placed);
  const params = { params: { path: { callId: placed.callId } } };
  let call = placed;
  for (;;) {
    for (const line of log.lines(call)) print(line);
    if (settled(call) || Date.now() > call.expiresAt + DEADLINE_GRACE_MS) return call;
    await sleep(POLL_MS, undefined, { signal: stop }).catch(() => undefined);
    if (stop.aborted) return call;
    call = await ok(cp.GET('/v1/calls/{callId}', params));
  }
}

/**
 * `callpush call <user...>`: places a call and prints each delivery as it goes, until none is left to send;
 * Ctrl-C while it watches cancels the call.
 */
export async function placeCall(users: string[], flags: CallFlags): Promise<void> {
  const headers = parseHeaders(flags.header ?? []);
  const print = (line: string) => process.stdout.write(`${line}\n`);
  await withApp(flags, async (cp) => {
    const placed = await ok(
      cp.POST('/v1/calls', {
        body: {
          from: flags.from,
          to: users,
          video: flags.video === true,
          headers,
          ...(flags.displayName !== undefined ? { displayName: flags.displayName } : {}),
          ...(flags.ringTimeout !== undefined ? { ringTimeoutSeconds: flags.ringTimeout } : {}),
        },
      }),
    );
    const what = `${placed.video ? 'video call' : 'call'} ${placed.callId} from ${placed.from} to ${placed.to.join(', ')}`;
    print(`${what}: ${placed.state}, ${placed.deliveries.length} deliveries`);
    // Ctrl-C while it rings hangs up: the call is cancelled, not left ringing.
    const interrupted = new AbortController();
    const interrupt = () => interrupted.abort();
    process.once('SIGINT', interrupt);
    const call = await watch(cp, placed, print, interrupted.signal).finally(() =>
      process.removeListener('SIGINT', interrupt),
    );
    if (interrupted.signal.aborted) {
      const cancelled = await ok(cp.POST('/v1/calls/{callId}/cancel', { params: { path: { callId: placed.callId } } }));
      print(`interrupted: the call is ${cancelled.state}`);
      process.exitCode = 130;
      return;
    }
    if (call.deliveries.length === 0) print(`nothing to ring: no device of ${users.join(', ')} is registered`);
    else if (call.state !== 'ringing') print(`the call is ${call.state} (${tally(call)})`);
    else print(`every delivery is settled (${tally(call)}); the call rings until ${clock(call.expiresAt)}`);
  });
}
