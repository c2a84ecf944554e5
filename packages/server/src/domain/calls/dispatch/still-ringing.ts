import type { CallsRepository } from '../repository.js';
import { isRinging } from '../state-machine.js';

/** Whether a callee is still to be rung, read now: an answer or cancel on any node stops its retries. */
export async function stillRinging(repo: CallsRepository, callId: string, userId: string): Promise<boolean> {
  const call = await repo.findCallById(callId);
  return !!call && isRinging(call, userId);
}
