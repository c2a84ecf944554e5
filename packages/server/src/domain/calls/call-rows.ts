import type { Selectable } from 'kysely';
import type { CallsTable } from '#infra/store';
import type { Call, CalleeState } from './model.js';

/** A stored call row as the model's call: the one mapping every reader of `calls` shares. */
export function toCall(row: Selectable<CallsTable>): Call {
  return {
    id: row.id,
    appKey: row.app_key,
    from: row.caller,
    ...(row.display_name !== null ? { displayName: row.display_name } : {}),
    video: row.video === 1,
    headers: JSON.parse(row.headers_json) as Record<string, string>,
    callees: JSON.parse(row.callees_json) as Record<string, CalleeState>,
    state: row.state as Call['state'],
    ...(row.end_reason !== null ? { endReason: row.end_reason } : {}),
    ...(row.answered_by_user !== null && row.answered_by_device !== null
      ? { answeredBy: { userId: row.answered_by_user, deviceId: row.answered_by_device } }
      : {}),
    ...(row.test === 1 ? { test: true } : {}),
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    updatedAt: Number(row.updated_at),
  };
}
