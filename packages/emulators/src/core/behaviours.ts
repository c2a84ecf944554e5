/**
 * Scripted per-token behaviours: how a test makes an emulator answer like the real provider does when a
 * token is dead, a quota is hit, the service is down or the connection drops.
 */
export const BEHAVIOUR_KINDS = [
  'unregistered',
  'invalid',
  'rate_limited',
  'unavailable',
  'latency',
  'auth_expired',
  'reset',
  'goaway',
] as const;

export type BehaviourKind = (typeof BEHAVIOUR_KINDS)[number];

export interface Behaviour {
  kind: BehaviourKind;
  /** `rate_limited`: the Retry-After to announce, seconds (default 1). */
  retryAfterSeconds?: number;
  /** `latency`: added delay before answering, ms. */
  ms?: number;
  /** Apply to the next N requests for the token only (default: every request until cleared; `unavailable` defaults to 1). */
  count?: number;
}

/** What applies to one request: an added delay and at most one failure to produce. */
export interface Applied {
  latencyMs: number;
  failure?: Behaviour;
}

export class BehaviourError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

/** Validates an inspection-API body: `{"token", "behaviour", "retryAfterSeconds"?, "ms"?, "count"?}`. */
export function parseBehaviourRequest(body: unknown): { token: string; behaviour: Behaviour } {
  if (typeof body !== 'object' || body === null) throw new BehaviourError('body must be a JSON object', 'body');
  const b = body as Record<string, unknown>;
  if (typeof b.token !== 'string' || b.token === '')
    throw new BehaviourError('token must be a non-empty string', 'token');
  const kind = b.behaviour ?? b.kind;
  if (typeof kind !== 'string' || !(BEHAVIOUR_KINDS as readonly string[]).includes(kind)) {
    throw new BehaviourError(`behaviour must be one of ${BEHAVIOUR_KINDS.join(', ')}`, 'behaviour');
  }
  const behaviour: Behaviour = { kind: kind as BehaviourKind };
  for (const field of ['retryAfterSeconds', 'ms', 'count'] as const) {
    const value = b[field];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new BehaviourError(`${field} must be a non-negative integer`, field);
    }
    behaviour[field] = value;
  }
  return { token: b.token, behaviour };
}

export class BehaviourStore {
  private readonly byToken = new Map<string, Behaviour[]>();

  set(token: string, behaviour: Behaviour): void {
    const list = (this.byToken.get(token) ?? []).filter((b) => b.kind !== behaviour.kind);
    const count = behaviour.count ?? (behaviour.kind === 'unavailable' ? 1 : undefined);
    list.push(count === undefined ? { ...behaviour } : { ...behaviour, count });
    this.byToken.set(token, list);
  }

  /** Clears one token's behaviours, or all of them. */
  clear(token?: string): void {
    if (token === undefined) this.byToken.clear();
    else this.byToken.delete(token);
  }

  list(): Array<{ token: string; behaviours: Behaviour[] }> {
    return [...this.byToken].map(([token, behaviours]) => ({ token, behaviours }));
  }

  /** Takes what applies to one request for `token`, spending one use of each counted behaviour. */
  consume(token: string): Applied {
    const list = this.byToken.get(token);
    if (!list) return { latencyMs: 0 };
    const applied: Applied = { latencyMs: 0 };
    for (const b of list) {
      if (b.kind === 'latency') applied.latencyMs = b.ms ?? 0;
      else if (!applied.failure) applied.failure = b;
      else continue;
      if (b.count !== undefined) b.count -= 1;
    }
    const left = list.filter((b) => b.count === undefined || b.count > 0);
    if (left.length === 0) this.byToken.delete(token);
    else this.byToken.set(token, left);
    return applied;
  }
}
