import { isRecord, isText, type JsonRecord } from './read.js';
import type { CallResult, CancelReason } from './types.js';

const RING_EVENT = 'on_call_incoming';

/**
 * The Kaleyra events that stop a ring, with the reason the gateway gives its own cancel for them
 * (the server's Kaleyra integration): nobody answered, or the call is over.
 */
const STOP_EVENTS: ReadonlyMap<unknown, CancelReason> = new Map([
  ['on_missed_call', 'timeout'],
  ['on_call_ended', 'ended'],
]);

/** Whether a Kaleyra webhook body is about a call (chat events such as `on_message_sent` are not). */
export function isKaleyraCallEvent(body: JsonRecord): boolean {
  return body.event === RING_EVENT || STOP_EVENTS.has(body.event);
}

/** `options.callType`: only `audio_video` starts with video (`audio_upgradable` may add it later, in the SDK). */
const VIDEO_CALL_TYPE = 'audio_video';

/**
 * A Kaleyra webhook body (docs/providers.md#kaleyra-webhooks) as a call result: the room is the call. Kaleyra
 * carries no ring deadline, custom headers or display name, so a ring is never timed out here and its headers
 * are empty.
 */
export function readKaleyra(body: JsonRecord): CallResult | undefined {
  const data = isRecord(body.data) ? body.data : {};
  const room = body.room_id;
  const base = { headers: {}, format: 'kaleyra' as const };
  if (body.event === RING_EVENT) {
    if (!isText(room) || !isText(data.initiator)) return undefined;
    const options = isRecord(data.options) ? data.options : {};
    const videoOffered = options.callType === VIDEO_CALL_TYPE;
    return {
      ...base,
      callId: room,
      roomId: room,
      remoteUserId: data.initiator,
      videoOffered,
      timedOut: false,
      cancelled: false,
    };
  }
  const reason = STOP_EVENTS.get(body.event);
  // Kaleyra's own on_missed_call example names the caller (`data.caller_id`) but no room.
  const caller = data.caller_id ?? data.initiator;
  if (!reason || (room !== undefined && !isText(room)) || (caller !== undefined && !isText(caller))) return undefined;
  if (room === undefined && caller === undefined) return undefined;
  return {
    ...base,
    callId: room ?? '',
    ...(room !== undefined ? { roomId: room } : {}),
    remoteUserId: caller ?? '',
    videoOffered: false,
    timedOut: reason === 'timeout',
    cancelled: true,
    reason,
  };
}
