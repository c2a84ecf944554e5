import type { ConnectionRouter, LiveDevices } from '#domain/realtime';
import type { Call } from './model.js';

/** The `call.state` frame of the active connection (docs/active-connection.md): where a call the user placed stands. */
export function callStateFrame(call: Call): string {
  return JSON.stringify({
    type: 'call.state',
    callId: call.id,
    state: call.state,
    callees: call.callees,
    ...(call.endReason !== undefined ? { endReason: call.endReason } : {}),
    ...(call.answeredBy ? { answeredBy: call.answeredBy } : {}),
    updatedAt: call.updatedAt,
  });
}

/**
 * Tells the caller's connected devices, on this node or another, where its call stands now. Best effort: a
 * caller without a socket reads the call's state over HTTP instead.
 */
export async function tellCaller(connections: ConnectionRouter, call: Call, located?: LiveDevices): Promise<void> {
  // Placing a call looks the caller's sockets up with the callees': one round trip to Redis, not two.
  const live = located ?? (await connections.locate(call.appKey, [call.from]));
  let frame: string | undefined;
  const build = () => {
    frame ??= callStateFrame(call);
    return frame;
  };
  for (const d of live.devices()) if (d.userId === call.from) live.send(d.userId, d.deviceId, build);
}
