import type { DeviceView } from '../core/device-view.js';
import { fcmDeviceView } from './device-view.js';
import { fcmError, type GoogleApiError, invalidRequest } from './errors.js';

/**
 * Validation of a `messages:send` body the way FCM does it: first Google's proto-JSON parser (field names in
 * snake_case or lowerCamelCase, unknown names and wrong types refused, `null` meaning "not set"), then FCM's
 * own checks (one target, token format, reserved data keys, TTL range, payload size).
 */

export interface SendRequest {
  validateOnly: boolean;
  /** The message exactly as the client sent it (what the emulator records). */
  message: Record<string, unknown>;
  target: { kind: 'token' | 'topic' | 'condition'; value: string };
  /** What the device gets, from the parsed message. */
  device: DeviceView;
}

type Kind = 'string' | 'bool' | 'int32' | 'stringMap' | 'object' | 'duration' | 'priority' | Struct | Repeated | Enum;
interface Struct {
  type: string;
  fields: Record<string, Kind>;
}
interface Repeated {
  repeated: 'string' | 'duration';
}
/** A proto enum: its value names, also accepted by their numbers. */
interface Enum {
  type: string;
  values: readonly string[];
}

const PROTO = 'type.googleapis.com/google.firebase.fcm.v1';

const NOTIFICATION: Struct = {
  type: `${PROTO}.Notification`,
  fields: { title: 'string', body: 'string', image: 'string' },
};

const ANDROID_NOTIFICATION: Struct = {
  type: `${PROTO}.AndroidNotification`,
  fields: {
    title: 'string',
    body: 'string',
    icon: 'string',
    color: 'string',
    sound: 'string',
    tag: 'string',
    click_action: 'string',
    body_loc_key: 'string',
    body_loc_args: { repeated: 'string' },
    title_loc_key: 'string',
    title_loc_args: { repeated: 'string' },
    channel_id: 'string',
    ticker: 'string',
    sticky: 'bool',
    event_time: 'string',
    local_only: 'bool',
    notification_priority: {
      type: `${PROTO}.AndroidNotification.NotificationPriority`,
      values: [
        'PRIORITY_UNSPECIFIED',
        'PRIORITY_MIN',
        'PRIORITY_LOW',
        'PRIORITY_DEFAULT',
        'PRIORITY_HIGH',
        'PRIORITY_MAX',
      ],
    },
    default_sound: 'bool',
    default_vibrate_timings: 'bool',
    default_light_settings: 'bool',
    vibrate_timings: { repeated: 'duration' },
    visibility: {
      type: `${PROTO}.AndroidNotification.Visibility`,
      values: ['VISIBILITY_UNSPECIFIED', 'PRIVATE', 'PUBLIC', 'SECRET'],
    },
    notification_count: 'int32',
    light_settings: 'object',
    image: 'string',
    bypass_proxy_notification: 'bool',
    proxy: {
      type: `${PROTO}.AndroidNotification.Proxy`,
      values: ['PROXY_UNSPECIFIED', 'ALLOW', 'DENY', 'IF_PRIORITY_LOWERED'],
    },
  },
};

/** `fcm_options` and the `apns`/`webpush` blocks are platform payloads FCM relays; only their string maps are checked. */
const ANDROID: Struct = {
  type: `${PROTO}.AndroidConfig`,
  fields: {
    collapse_key: 'string',
    priority: 'priority',
    ttl: 'duration',
    restricted_package_name: 'string',
    data: 'stringMap',
    notification: ANDROID_NOTIFICATION,
    fcm_options: 'object',
    direct_boot_ok: 'bool',
    bandwidth_constrained_ok: 'bool',
    restricted_satellite_ok: 'bool',
  },
};

const MESSAGE: Struct = {
  type: `${PROTO}.Message`,
  fields: {
    name: 'string',
    data: 'stringMap',
    notification: NOTIFICATION,
    android: ANDROID,
    webpush: 'object',
    apns: 'object',
    fcm_options: 'object',
    token: 'string',
    topic: 'string',
    condition: 'string',
  },
};

const SEND_REQUEST: Struct = {
  type: `${PROTO}.SendMessageRequest`,
  fields: { validate_only: 'bool', message: MESSAGE },
};

/** The longest TTL FCM keeps a message: 4 weeks. */
export const MAX_TTL_SECONDS = 2_419_200;
/** FCM's payload limit (keys plus values); topic messages get half. */
export const MAX_PAYLOAD_BYTES = 4096;
const MAX_TOPIC_PAYLOAD_BYTES = 2048;

const TOKEN = /^[\w\-:.]+$/;
const TOPIC = /^[a-zA-Z0-9\-_.~%]+$/;
const DURATION = /^-?\d+(\.\d{1,9})?s$/;
const PRIORITIES = new Map<unknown, string>([
  ['NORMAL', 'NORMAL'],
  ['HIGH', 'HIGH'],
  ['normal', 'NORMAL'],
  ['high', 'HIGH'],
  [0, 'NORMAL'],
  [1, 'HIGH'],
]);

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** How Google's parser quotes an offending value in its messages. */
function shown(value: unknown): string {
  if (Array.isArray(value)) return 'Proto field is not repeating, cannot start list.';
  if (isObject(value)) return 'Starting an object on a scalar field';
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function typeError(path: string, type: string, value: unknown): GoogleApiError {
  const description = `Invalid value at '${path}' (${type}), ${shown(value)}`;
  return invalidRequest(path, description);
}

function readStringMap(value: unknown, path: string): Record<string, string> {
  if (!isObject(value)) throw typeError(path, `${PROTO}.Message.DataEntry`, value);
  Object.values(value).forEach((v, i) => {
    if (typeof v !== 'string') throw typeError(`${path}[${i}].value`, 'TYPE_STRING', v);
  });
  return value as Record<string, string>;
}

function readField(kind: Kind, value: unknown, path: string): unknown {
  switch (kind) {
    case 'string':
      if (typeof value !== 'string') throw typeError(path, 'TYPE_STRING', value);
      return value;
    case 'bool':
      if (typeof value !== 'boolean') throw typeError(path, 'TYPE_BOOL', value);
      return value;
    case 'int32':
      // proto3 JSON takes an integer as a number or as its decimal text.
      if (!Number.isInteger(typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value)) {
        throw typeError(path, 'TYPE_INT32', value);
      }
      return Number(value);
    case 'stringMap':
      return readStringMap(value, path);
    case 'object':
      if (!isObject(value)) throw typeError(path, 'TYPE_MESSAGE', value);
      return value;
    case 'duration':
      if (typeof value !== 'string' || !DURATION.test(value)) {
        const reason = typeof value === 'string' ? "Illegal duration format; duration must end with 's'" : shown(value);
        throw invalidRequest(
          path,
          `Invalid value at '${path}' (type.googleapis.com/google.protobuf.Duration), ${reason}`,
        );
      }
      return Number.parseFloat(value);
    case 'priority': {
      const priority = PRIORITIES.get(value);
      if (!priority) throw typeError(path, `${PROTO}.AndroidMessagePriority`, value);
      return priority;
    }
    default:
      if ('repeated' in kind) return readRepeated(kind, value, path);
      if ('values' in kind) return readEnum(kind, value, path);
      return readStruct(kind, value, path);
  }
}

function readRepeated(kind: Repeated, value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw typeError(path, kind.repeated === 'string' ? 'TYPE_STRING' : 'TYPE_MESSAGE', value);
  return value.map((item, i) => readField(kind.repeated, item, `${path}[${i}]`));
}

function readEnum(kind: Enum, value: unknown, path: string): string {
  const name = typeof value === 'number' ? kind.values[value] : value;
  if (typeof name !== 'string' || !kind.values.includes(name)) throw typeError(path, kind.type, value);
  return name;
}

/** Parses one proto message: returns its set fields keyed by snake_case name. */
function readStruct(struct: Struct, value: unknown, path: string): Record<string, unknown> {
  if (!isObject(value)) throw typeError(path, struct.type, value);
  const out: Record<string, unknown> = {};
  for (const [name, fieldValue] of Object.entries(value)) {
    const field = snakeCase(name);
    const kind = struct.fields[field];
    if (kind === undefined) {
      const where = path === '' ? '' : ` at '${path}'`;
      throw invalidRequest(path, `Invalid JSON payload received. Unknown name "${name}"${where}: Cannot find field.`);
    }
    // proto3 JSON: null is the default value, i.e. the field is not set.
    if (fieldValue === null) continue;
    out[field] = readField(kind, fieldValue, path === '' ? field : `${path}.${field}`);
  }
  return out;
}

function checkTarget(message: Record<string, unknown>): SendRequest['target'] {
  // proto3: an empty string is the default value, so it does not set the oneof.
  const set = (['token', 'topic', 'condition'] as const).filter((k) => message[k] !== undefined && message[k] !== '');
  if (set.length > 1) {
    throw invalidRequest(
      'message',
      `Invalid value at 'message' (oneof), oneof field 'target' is already set. Cannot set '${set[1]}'`,
    );
  }
  const kind = set[0];
  if (kind === undefined) {
    throw invalidRequest('message', 'Recipient of the message is not set.', { fcm: true });
  }
  const value = message[kind] as string;
  if (kind === 'token' && !TOKEN.test(value)) throw fcmError('INVALID_ARGUMENT');
  if (kind === 'topic' && !TOPIC.test(value)) {
    throw invalidRequest('message.topic', `Invalid topic name: ${value}`, { fcm: true });
  }
  return { kind, value };
}

function checkDataKeys(data: Record<string, string> | undefined, path: string): void {
  for (const key of Object.keys(data ?? {})) {
    if (key === 'from' || key === 'message_type' || key.startsWith('google') || key.startsWith('gcm')) {
      throw invalidRequest(path, `Invalid data payload key: ${key}`, { fcm: true });
    }
  }
}

function checkStringMaps(block: unknown, path: string, names: string[]): void {
  if (!isObject(block)) return;
  for (const name of names) {
    const value = block[name];
    if (value !== undefined && value !== null) readStringMap(value, `${path}.${name}`);
  }
}

function mapBytes(map: Record<string, string> | undefined): number {
  return Object.entries(map ?? {}).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
}

/** What counts against the Android payload limit: data keys plus values and the notification text. */
function androidPayloadBytes(message: Record<string, unknown>, android: Record<string, unknown>): number {
  const data = (android.data ?? message.data) as Record<string, string> | undefined;
  const notification = message.notification as Record<string, string> | undefined;
  const androidNotification = android.notification as object | undefined;
  return (
    mapBytes(data) +
    mapBytes(notification) +
    (androidNotification ? Buffer.byteLength(JSON.stringify(androidNotification)) : 0)
  );
}

/** Parses and validates a `messages:send` body; throws the GoogleApiError FCM would answer with. */
export function parseSendRequest(raw: Buffer): SendRequest {
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    throw invalidRequest('', 'Invalid JSON payload received. Unexpected token.');
  }
  const request = readStruct(SEND_REQUEST, json, '');
  const message = request.message as Record<string, unknown> | undefined;
  if (!message) throw invalidRequest('message', 'Request contains an invalid argument.', { fcm: true });
  const target = checkTarget(message);
  const android = (message.android ?? {}) as Record<string, unknown>;
  checkDataKeys(message.data as Record<string, string> | undefined, 'message.data');
  checkDataKeys(android.data as Record<string, string> | undefined, 'message.android.data');
  const ttl = android.ttl as number | undefined;
  if (ttl !== undefined && (ttl < 0 || ttl > MAX_TTL_SECONDS)) {
    throw invalidRequest('message.android.ttl', `TTL must be between 0s and ${MAX_TTL_SECONDS}s`, { fcm: true });
  }
  checkStringMaps(message.apns, 'message.apns', ['headers']);
  checkStringMaps(message.webpush, 'message.webpush', ['headers', 'data']);
  const limit = target.kind === 'topic' ? MAX_TOPIC_PAYLOAD_BYTES : MAX_PAYLOAD_BYTES;
  if (androidPayloadBytes(message, android) > limit) {
    throw invalidRequest('message', 'Android message is too big', { fcm: true });
  }
  const asSent = (json as { message: Record<string, unknown> }).message;
  return { validateOnly: request.validate_only === true, message: asSent, target, device: fcmDeviceView(message) };
}
