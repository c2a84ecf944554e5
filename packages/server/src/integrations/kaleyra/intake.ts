import type { CallsService } from '#domain/calls';
import type { NoticeSender } from '#domain/notices';
import { type Clock, isConflict, NotFound, systemClock, Unauthenticated } from '#kernel';
import { chatNotice } from './chat.js';
import type { KaleyraConfigStore, PayloadFormat } from './config.js';
import { actionOf, callIdOf, KALEYRA_CALL_PREFIX, type KaleyraAction, parseWebhook } from './events.js';
import type { KaleyraPayloads } from './payloads.js';
import type { KaleyraRepository } from './repository.js';
import { verifyWebhook } from './signature.js';

export interface IntakeResult {
  event: string;
  /** rang | cancelled | notified (a chat message pushed) | ignored, or duplicate for a webhook already handled. */
  action: string;
  callId?: string;
}

export interface KaleyraIntakeDeps {
  repo: Pick<KaleyraRepository, 'seenEvent' | 'recordEvent' | 'recordCall'>;
  configs: Pick<KaleyraConfigStore, 'load'>;
  calls: Pick<CallsService, 'place' | 'apply' | 'latestOpenCallOf'>;
  /** Chat messages go to the other members' devices as notices, in the app's Kaleyra format. */
  notices: Pick<NoticeSender, 'send'>;
  payloads: Pick<KaleyraPayloads, 'dataFor'>;
  now?: Clock;
}

/**
 * Kaleyra webhook intake: verify, de-duplicate, map to the calls API. Calls go through `CallsService` like
 * any other: one ring path.
 */
export class KaleyraIntake {
  private readonly now: Clock;

  constructor(private readonly deps: KaleyraIntakeDeps) {
    this.now = deps.now ?? systemClock;
  }

  /**
   * Handles one webhook: the signature is checked over `raw` before anything is parsed. A ring over the call
   * rate limits is refused (RateLimited) before it is recorded, so the platform's retry gets another chance.
   */
  async intake(
    appKey: string,
    raw: Buffer,
    headers: Record<string, string | string[] | undefined>,
  ): Promise<IntakeResult> {
    const config = await this.deps.configs.load(appKey);
    // Same answer as a bad signature: an unconfigured app and a wrong secret look alike to a prober.
    if (!config)
      throw new Unauthenticated('invalid_webhook_signature', 'no Kaleyra webhook is configured for this app');
    const eventKey = verifyWebhook(config, raw, headers, this.now());
    const { event, body } = parseWebhook(raw);
    const seen = await this.deps.repo.seenEvent(appKey, eventKey);
    if (seen) return { event, action: 'duplicate', ...(seen.callId ? { callId: seen.callId } : {}) };
    const action = actionOf(event, body);
    if (action.kind === 'chat') {
      return { event, ...(await this.chat(appKey, eventKey, event, action.to, raw, config.payloadFormat)) };
    }
    const done = await this.act(appKey, action, event, raw, config.payloadFormat);
    // Recorded after acting: a crash in between lets the platform's retry act again, and acting is idempotent
    // (the call id and idempotency key come from the room), so the retry cannot ring twice either.
    await this.deps.repo.recordEvent(
      appKey,
      {
        eventKey,
        event,
        ...(action.roomId ? { roomId: action.roomId } : {}),
        action: done.action,
        ...(done.callId ? { callId: done.callId } : {}),
      },
      this.now(),
    );
    return { event, ...done };
  }

  /**
   * Pushes a chat message to the other members, in the background (the notices retry for a while), once:
   * the event is recorded first, so a duplicate racing this one finds it and sends nothing. A notice lost to
   * a crash right after is not resent; a chat notification is not worth a second one. The v1 format has no
   * chat message, so an app on it only has the event recorded.
   */
  private async chat(
    appKey: string,
    eventKey: string,
    event: string,
    to: string[],
    raw: Buffer,
    format: PayloadFormat,
  ): Promise<Omit<IntakeResult, 'event'>> {
    const action = format === 'callpush' ? 'ignored' : 'notified';
    if (!(await this.deps.repo.recordEvent(appKey, { eventKey, event, action }, this.now()))) {
      return { action: 'duplicate' };
    }
    if (format !== 'callpush') {
      const body = raw.toString('utf8');
      const dataFor = (userId: string) => this.deps.payloads.dataFor(appKey, format, event, body, userId);
      void this.deps.notices.send(chatNotice(appKey, eventKey, to, dataFor, this.now()));
    }
    return { action };
  }

  private async act(
    appKey: string,
    action: Exclude<KaleyraAction, { kind: 'chat' }>,
    event: string,
    raw: Buffer,
    format: PayloadFormat,
  ): Promise<Omit<IntakeResult, 'event'>> {
    const { calls, repo } = this.deps;
    if (action.kind === 'ignore') return { action: 'ignored' };
    if (action.kind === 'ring') {
      const callId = callIdOf(appKey, action.roomId);
      await repo.recordCall(
        { callId, appKey, roomId: action.roomId, event, format, body: raw.toString('utf8') },
        this.now(),
      );
      // Signed with the app's webhook secret, the webhook places calls as the app does.
      const placed = await calls.place(
        appKey,
        { ...action.call, id: callId },
        { key: `kaleyra:${action.roomId}`, by: { kind: 'app' } },
      );
      return { action: placed.replayed ? 'duplicate' : 'rang', callId: placed.call.id };
    }
    const callId = action.roomId
      ? callIdOf(appKey, action.roomId)
      : action.caller && (await calls.latestOpenCallOf(appKey, action.caller, KALEYRA_CALL_PREFIX));
    if (!callId) return { action: 'ignored' };
    for (const callEvent of action.events) {
      try {
        await calls.apply(appKey, callId, callEvent);
        return { action: 'cancelled', callId };
      } catch (err) {
        // Not this event's state (a cancel for an answered call), already over, or a room callpush never rang.
        const unknown = err instanceof NotFound && err.code === 'call_not_found';
        if (!isConflict(err, 'invalid_transition') && !unknown) throw err;
      }
    }
    return { action: 'ignored', callId };
  }
}
