import { createHash } from 'node:crypto';
import { type CallEvent, MAX_CALLEES, type PlaceCall } from '#domain/calls';
import { InvalidInput, isId } from '#kernel';

/** What callpush does with one Kaleyra event. */
export type KaleyraAction =
  | { kind: 'ring'; roomId: string; call: Omit<PlaceCall, 'id'> }
  /** Ends the room's call, or, when the event names no room, the caller's latest ringing call. */
  | { kind: 'stop'; roomId?: string; caller?: string; events: CallEvent[] }
  /** A chat message, to push to the channel's other members (`to`): not a call. */
  | { kind: 'chat'; to: string[] }
  | { kind: 'ignore'; roomId?: string };

/**
 * Events that end a ringing call. `on_missed_call` is confirmed (docs/providers.md#kaleyra-webhooks): nobody answered, so the
 * devices stop with `timeout`. `on_call_ended` is the name Kaleyra's event list is believed to use but could
 * not be confirmed; a caller who hangs up early is `caller_cancelled`, an answered call ends.
 */
// A Map: an event named `__proto__` or `constructor` must find nothing, not Object.prototype's members.
const STOP_EVENTS = new Map<string, CallEvent[]>([
  ['on_missed_call', [{ type: 'timeout' }]],
  ['on_call_ended', [{ type: 'cancel' }, { type: 'end' }]],
]);

/** `options.callType`: only `audio_video` starts with video; `audio_upgradable` may add it later, in the SDK. */
const VIDEO_CALL_TYPES = new Set(['audio_video']);

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function text(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '' || value.length > 128) {
    throw new InvalidInput('invalid_webhook', `${field} must be a non-empty string of at most 128 characters`, field);
  }
  return value;
}

/** A user id from the platform, held to the API's id rule: it becomes a caller or callee like any other. */
function userId(value: unknown, field: string): string {
  if (!isId(value)) {
    throw new InvalidInput(
      'invalid_webhook',
      `${field} must be a user id: at most 128 of A-Z a-z 0-9 . _ : @ + = -`,
      field,
    );
  }
  return value;
}

/** Parses the raw body, which must be a JSON object with an `event` name. */
export function parseWebhook(raw: Buffer): { event: string; body: Json } {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new InvalidInput('invalid_webhook', 'the body is not JSON', 'body');
  }
  if (!isObject(body)) throw new InvalidInput('invalid_webhook', 'the body must be a JSON object', 'body');
  return { event: text(body.event, 'event'), body };
}

function incoming(body: Json): KaleyraAction {
  const roomId = text(body.room_id, 'room_id');
  if (!isObject(body.data)) throw new InvalidInput('invalid_webhook', 'data must be an object', 'data');
  const data = body.data;
  const initiator = userId(data.initiator, 'data.initiator');
  if (!Array.isArray(data.users))
    throw new InvalidInput('invalid_webhook', 'data.users must be an array', 'data.users');
  // The platform lists the initiator among the invited users; it never rings itself.
  const callees = data.users.flatMap((entry: unknown, i) => {
    if (!isObject(entry) || !isObject(entry.user)) {
      throw new InvalidInput('invalid_webhook', 'each user must be {user:{userAlias},status}', `data.users.${i}`);
    }
    const alias = userId(entry.user.userAlias, `data.users.${i}.user.userAlias`);
    return entry.status === 'invited' && alias !== initiator ? [alias] : [];
  });
  if (callees.length === 0) return { kind: 'ignore', roomId };
  // The cap of the calls API: a room rings no more people than a call placed directly may.
  if (new Set(callees).size > MAX_CALLEES) {
    throw new InvalidInput('invalid_webhook', `at most ${MAX_CALLEES} invited users can be rung`, 'data.users');
  }
  const callType = isObject(data.options) ? data.options.callType : undefined;
  return {
    kind: 'ring',
    roomId,
    call: {
      from: initiator,
      to: callees,
      video: typeof callType === 'string' && VIDEO_CALL_TYPES.has(callType),
      // For apps on the callpush format: what their client needs to join the room through the Kaleyra SDK.
      headers: { 'kaleyra.roomId': roomId, ...(typeof callType === 'string' ? { 'kaleyra.callType': callType } : {}) },
    },
  };
}

/** A channel member: a user id, or `{user:{userAlias}}` as `on_call_incoming` lists its users. */
function memberOf(entry: unknown, field: string): string {
  if (!isObject(entry)) return userId(entry, field);
  return userId(isObject(entry.user) ? entry.user.userAlias : undefined, `${field}.user.userAlias`);
}

/**
 * `on_message_sent`, a chat message. Kaleyra publishes no example body; callpush reads `data.sender`, the
 * author's user id, and `data.participants`, the channel's members (docs/kaleyra.md#chat says what is
 * assumed). Everyone but the author is told.
 */
function chat(body: Json): KaleyraAction {
  if (!isObject(body.data)) throw new InvalidInput('invalid_webhook', 'data must be an object', 'data');
  const data = body.data;
  const sender = userId(data.sender, 'data.sender');
  if (!Array.isArray(data.participants)) {
    throw new InvalidInput('invalid_webhook', 'data.participants must be an array', 'data.participants');
  }
  const members = new Set(data.participants.map((entry: unknown, i) => memberOf(entry, `data.participants.${i}`)));
  members.delete(sender);
  if (members.size === 0) return { kind: 'ignore' };
  // A message reaches no more people than a call may ring.
  if (members.size > MAX_CALLEES) {
    throw new InvalidInput('invalid_webhook', `at most ${MAX_CALLEES} participants can be told`, 'data.participants');
  }
  return { kind: 'chat', to: [...members] };
}

/** Maps an event to what callpush does; events it does not act on are recorded and acknowledged. */
export function actionOf(event: string, body: Json): KaleyraAction {
  if (event === 'on_call_incoming') return incoming(body);
  if (event === 'on_message_sent') return chat(body);
  const stop = STOP_EVENTS.get(event);
  if (stop) {
    // Kaleyra's own on_missed_call example names the caller (`data.caller_id`) but no room.
    if (body.room_id !== undefined) return { kind: 'stop', roomId: text(body.room_id, 'room_id'), events: stop };
    const caller = isObject(body.data) ? body.data.caller_id : undefined;
    return { kind: 'stop', caller: text(caller, 'room_id'), events: stop };
  }
  return { kind: 'ignore', ...(typeof body.room_id === 'string' ? { roomId: body.room_id } : {}) };
}

/** Prefix of calls placed from Kaleyra webhooks: other calls never need the Kaleyra payload lookup. */
export const KALEYRA_CALL_PREFIX = 'ck_';

/** One room, one call: the call id is derived from the app and the room, so every path finds the same call. */
export function callIdOf(appKey: string, roomId: string): string {
  return `${KALEYRA_CALL_PREFIX}${createHash('sha256').update(`${appKey}\u0000${roomId}`).digest('base64url').slice(0, 22)}`;
}
