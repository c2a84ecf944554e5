import type { Emulators, RecordedMessage } from '@callpush/emulators';
import type { Call } from '#domain/calls';
import type { PhoneMessage, SandboxPhone } from './phone-types.js';

export type { PhoneMessage, SandboxPhone } from './phone-types.js';

/** One of the sandbox user's devices, as the emulators see it. */
export interface SandboxDevice {
  deviceId: string;
  provider: 'fcm' | 'hms' | 'apns' | 'webpush';
  kind: string;
  /** What the emulator files the device's messages under (the token, or a Web Push subscription id). */
  inspectAs: string;
}

const TYPES: Record<string, PhoneMessage['type']> = {
  'call.ring': 'ring',
  'call.cancel': 'cancel',
  'call.missed': 'missed',
};

/**
 * The callpush message inside a provider's payload, wherever that provider puts it (a data field holding JSON,
 * JSON inside JSON on HMS, a key of the APNs payload, the whole Web Push body): the first object with a callId
 * and a call type, looked for a few levels deep.
 */
export function callMessageIn(payload: unknown, depth = 0): Record<string, unknown> | undefined {
  if (depth > 4) return undefined;
  if (typeof payload === 'string') {
    if (!payload.startsWith('{')) return undefined;
    try {
      return callMessageIn(JSON.parse(payload), depth + 1);
    } catch {
      return undefined;
    }
  }
  if (typeof payload !== 'object' || payload === null) return undefined;
  const o = payload as Record<string, unknown>;
  if (typeof o.callId === 'string' && typeof o.type === 'string' && o.type in TYPES) return o;
  for (const value of Object.values(o)) {
    const found = callMessageIn(value, depth + 1);
    if (found) return found;
  }
  return undefined;
}

function phoneMessage(m: RecordedMessage): PhoneMessage | undefined {
  const c = callMessageIn(m.payload);
  if (!c) return undefined;
  const text = (k: string) => (typeof c[k] === 'string' ? (c[k] as string) : undefined);
  const headers = typeof c.headers === 'object' && c.headers !== null ? (c.headers as Record<string, string>) : {};
  const displayName = text('displayName');
  const reason = text('reason');
  return {
    callId: c.callId as string,
    type: TYPES[c.type as string]!,
    from: text('from') ?? '',
    ...(displayName !== undefined ? { displayName } : {}),
    ...(typeof c.video === 'boolean' ? { video: c.video } : {}),
    headers,
    ...(reason !== undefined ? { reason } : {}),
    ...(typeof c.expiresAt === 'number' ? { expiresAt: c.expiresAt } : {}),
    receivedAt: m.receivedAt,
  };
}

export interface SandboxPhonesDeps {
  emulators: Emulators;
  devices: SandboxDevice[];
  /** The call a message is about, if it still exists. */
  callOf(callId: string): Promise<Call | undefined>;
  /** Registers a listener for every change of a call's state on this node (the sandbox is one node). */
  onCallChange(listener: (call: Call) => void): void;
}

/** How long changes are gathered into one notice: a ring reaches four emulators within milliseconds. */
const COALESCE_MS = 25;

/**
 * The sandbox user's devices drawn as phones: each one's last call message from its emulator, and where that
 * call stands. Listeners hear when any of it may have changed.
 */
export class SandboxPhones {
  private readonly listeners = new Set<() => void>();
  private pending: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly deps: SandboxPhonesDeps) {
    const tokens = new Set(deps.devices.map((d) => `${d.provider}:${d.inspectAs}`));
    for (const provider of ['fcm', 'hms', 'apns', 'webpush'] as const) {
      deps.emulators[provider].messages.subscribe((m) => {
        if (tokens.has(`${provider}:${m.token}`)) this.changed();
      });
    }
    deps.onCallChange(() => this.changed());
  }

  async list(): Promise<SandboxPhone[]> {
    return Promise.all(
      this.deps.devices.map(async (d) => {
        const messages = this.deps.emulators[d.provider].messages.list({ token: d.inspectAs });
        let last: PhoneMessage | undefined;
        for (let i = messages.length - 1; i >= 0 && !last; i--) last = phoneMessage(messages[i]!);
        const call = last && (await this.deps.callOf(last.callId));
        const phone: SandboxPhone = { deviceId: d.deviceId, provider: d.provider, kind: d.kind };
        if (last) {
          phone.last = call
            ? { ...last, call: { state: call.state, ...(call.answeredBy ? { answeredBy: call.answeredBy } : {}) } }
            : last;
        }
        return phone;
      }),
    );
  }

  /** Calls `listener` after changes (several close together make one call); returns the unsubscribe. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    if (this.pending || this.listeners.size === 0) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      for (const l of this.listeners) l();
    }, COALESCE_MS);
  }
}
