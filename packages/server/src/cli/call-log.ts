import type { operations } from '@callpush/sdk';

/** A call with its deliveries, as `GET /v1/calls/{callId}` shows it. */
export type CallView = operations['getCall']['responses'][200]['content']['application/json'];
type Delivery = CallView['deliveries'][number];

/** Where a delivery stops moving: nothing will be tried for it again. */
const FINAL_STATES = new Set(['failed', 'expired', 'skipped']);

interface Line {
  at: number;
  text: string;
}

const seconds = (ms: number) => `+${(Math.max(0, ms) / 1000).toFixed(3)}s`.padStart(9);

function describe(d: Delivery): string {
  // A device with no push registration (a browser tab on the active connection) has no provider.
  const via = [d.providerType, d.transport].filter(Boolean).join(' ');
  return `${`${d.userId}/${d.deviceId}`.padEnd(18)} ${d.type.padEnd(6)} ${via.padEnd(18)}`;
}

function ending(d: Delivery): string {
  const why = [d.outcome, d.detail].filter(Boolean).join(': ');
  return why ? `${d.state} (${why})` : d.state;
}

/**
 * Turns successive views of one call into the lines of what happened since the last view: each milestone a
 * delivery reaches (accepted, sent, provider accepted, received, answered, declined), each failed attempt
 * that will be retried, a delivery that ends without reaching the device, and each change of the call's
 * state; in the order they happened.
 */
export class CallLog {
  private readonly printed = new Set<string>();

  constructor(private readonly placed: CallView) {}

  lines(call: CallView): string[] {
    const lines: Line[] = [];
    const add = (key: string, at: number, text: string) => {
      if (this.printed.has(key)) return;
      this.printed.add(key);
      lines.push({ at, text: `${seconds(at - this.placed.createdAt)}  ${text}` });
    };
    // A delivery's milestones carry the gateway's times; an ending and a change of state, the time seen here.
    const now = Date.now();
    for (const d of call.deliveries) {
      for (const step of d.funnel) {
        add(`${d.deliveryId}:${step.milestone}`, step.at, `${describe(d)} ${step.milestone.replaceAll('_', ' ')}`);
      }
      if (d.state === 'pending' && d.outcome === 'retry') {
        add(
          `${d.deliveryId}:retry:${d.attempts}`,
          now,
          `${describe(d)} attempt ${d.attempts} failed, retrying${d.detail ? ` (${d.detail})` : ''}`,
        );
      }
      if (FINAL_STATES.has(d.state)) add(`${d.deliveryId}:${d.state}`, now, `${describe(d)} ${ending(d)}`);
    }
    if (call.state !== this.placed.state) {
      const by = call.answeredBy ? ` by ${call.answeredBy.userId}/${call.answeredBy.deviceId}` : '';
      const reason = call.endReason ? ` (${call.endReason})` : '';
      add(`call:${call.state}`, now, `the call is ${call.state}${by}${reason}`);
    }
    return lines.sort((a, b) => a.at - b.at).map((l) => l.text);
  }
}

/** No delivery of the call is waiting to be sent or retried. */
export const settled = (call: CallView) => call.deliveries.every((d) => d.state !== 'pending');

/** `3 sent, 1 failed`: the deliveries by state. */
export function tally(call: CallView): string {
  const counts = new Map<string, number>();
  for (const d of call.deliveries) counts.set(d.state, (counts.get(d.state) ?? 0) + 1);
  return [...counts].map(([state, n]) => `${n} ${state}`).join(', ');
}
