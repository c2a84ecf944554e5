import { ApnsRejection } from './reasons.js';

export type ApnsEnvironment = 'development' | 'production';

/** What a device token is valid for; APNs knows this for every token it issued. */
export interface DeviceBinding {
  /** The topic the token belongs to: the bundle id, or `<bundle id>.voip` for a PushKit token. */
  topic: string;
  /** The environment that issued it; default: the emulator's. */
  environment?: ApnsEnvironment;
}

const DEVICE_PATH = /^\/3\/device\/([^/]*)$/;

/** The device token of a `:path`, or the reason APNs gives for the path. */
export function deviceTokenFromPath(path: string): string {
  const match = DEVICE_PATH.exec(path.split('?')[0] ?? '');
  if (!match) throw new ApnsRejection('BadPath');
  const token = match[1]!;
  if (token === '') throw new ApnsRejection('MissingDeviceToken');
  // Tokens are hex strings of no fixed length (docs/providers.md#apns-connection).
  if (!/^[0-9a-fA-F]+$/.test(token)) throw new ApnsRejection('BadDeviceToken');
  return token;
}

/**
 * Tokens a test has declared. Undeclared tokens are accepted for any topic, so tests only declare the
 * tokens whose topic or environment mismatch they want to provoke.
 */
export class DeviceRegistry {
  private readonly bindings = new Map<string, DeviceBinding>();

  constructor(private readonly environment: ApnsEnvironment) {}

  register(token: string, binding: DeviceBinding): void {
    this.bindings.set(token.toLowerCase(), binding);
  }

  /** Throws BadDeviceToken for another environment's token, DeviceTokenNotForTopic for another topic's. */
  check(token: string, topic: string): void {
    const binding = this.bindings.get(token.toLowerCase());
    if (!binding) return;
    if ((binding.environment ?? this.environment) !== this.environment) throw new ApnsRejection('BadDeviceToken');
    if (binding.topic !== topic) throw new ApnsRejection('DeviceTokenNotForTopic');
  }
}
