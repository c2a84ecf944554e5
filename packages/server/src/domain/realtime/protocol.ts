/** Frames and close codes of the active connection (docs/active-connection.md). */

export const CLOSE = {
  goingAway: 1001,
  heartbeatTimeout: 4000,
  unauthorized: 4001,
  forbidden: 4003,
  badFrame: 4008,
  replaced: 4009,
} as const;

/** Longest client frame accepted: a hello with a token is well under this. */
export const MAX_FRAME_BYTES = 8192;
export const HELLO_TIMEOUT_MS = 10_000;

/** The device id rule of the HTTP API (`Id` in edges/http/schemas.ts). */
const DEVICE_ID = /^[A-Za-z0-9._:@+=-]{1,128}$/;
const MAX_CALL_ID_CHARS = 256;
const MAX_TOKEN_CHARS = 4096;

export type ClientFrame =
  | { type: 'hello'; token: string; deviceId: string }
  | { type: 'auth'; token: string }
  | { type: 'receipt'; callId: string }
  | { type: 'pong' }
  | { type: 'ping' };

const isToken = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_TOKEN_CHARS;

/** Parses one client frame; undefined for anything that is not a well-formed frame of a known type. */
export function parseClientFrame(text: string): ClientFrame | undefined {
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof frame !== 'object' || frame === null) return undefined;
  const f = frame as Record<string, unknown>;
  switch (f.type) {
    case 'hello':
      return isToken(f.token) && typeof f.deviceId === 'string' && DEVICE_ID.test(f.deviceId)
        ? { type: 'hello', token: f.token, deviceId: f.deviceId }
        : undefined;
    case 'auth':
      return isToken(f.token) ? { type: 'auth', token: f.token } : undefined;
    case 'receipt':
      // Any bounded id: a receipt for a call the gateway does not know is ignored, not a protocol error.
      return typeof f.callId === 'string' && f.callId.length > 0 && f.callId.length <= MAX_CALL_ID_CHARS
        ? { type: 'receipt', callId: f.callId }
        : undefined;
    case 'pong':
    case 'ping':
      return { type: f.type };
    default:
      return undefined;
  }
}
