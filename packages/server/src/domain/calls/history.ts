import type { Device, DevicesService } from '#domain/devices';
import type { Store } from '#infra/store';
import { type Clock, InvalidInput, systemClock } from '#kernel';
import type { CallsService } from './calls-service.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { type Diagnosis, diagnose } from './diagnosis.js';
import { type DeviceActivity, type HistoryFilter, HistoryRepository } from './history-repository.js';
import type { Call, CallState } from './model.js';

export const HISTORY_DEFAULT_LIMIT = 50;
export const HISTORY_MAX_LIMIT = 200;
/** Every state a call can be in: the values of the history's `state` filter. */
export const CALL_STATES = [
  'ringing',
  'answered',
  'declined',
  'busy',
  'cancelled',
  'timed_out',
  'ended',
] as const satisfies readonly CallState[];

export interface HistoryQuery extends HistoryFilter {
  /** `next` of the previous page, with the same filters. */
  cursor?: string;
  limit?: number;
}

export interface HistoryPage {
  calls: Call[];
  /** The cursor of the next page; absent on the last one. */
  next?: string;
}

export interface CallHistoryDeps {
  store: Store;
  calls: Pick<CallsService, 'get'>;
  devices: Pick<DevicesService, 'listForUser'>;
  now?: Clock;
}

/** What happened to an app's calls, read back: the list, each device's last rings, why a device did not ring. */
export class CallHistory {
  private readonly repo: HistoryRepository;
  private readonly now: Clock;

  constructor(private readonly deps: CallHistoryDeps) {
    this.repo = new HistoryRepository(deps.store);
    this.now = deps.now ?? systemClock;
  }

  /** One page of the app's calls, newest first. A cursor is valid only with the filters it came with. */
  async list(appKey: string, query: HistoryQuery): Promise<HistoryPage> {
    const { cursor, limit = HISTORY_DEFAULT_LIMIT, ...filter } = query;
    const { userId, state, since, until } = filter;
    if (since !== undefined && until !== undefined && until <= since) {
      throw new InvalidInput('validation_failed', 'until must be later than since', 'until');
    }
    const list = JSON.stringify([appKey, userId ?? null, state ?? null, since ?? null, until ?? null]);
    const after = cursor === undefined ? undefined : decodeCursor(cursor, list);
    // One more than asked tells whether a next page exists.
    const rows = await this.repo.page(appKey, filter, after, limit + 1);
    const calls = rows.slice(0, limit);
    const last = calls.at(-1);
    if (rows.length <= limit || !last) return { calls };
    return { calls, next: encodeCursor({ createdAt: last.createdAt, id: last.id }, list) };
  }

  /** The user's devices, each with its last ring and its last receipt. */
  async devicesOf(appKey: string, userId: string): Promise<Array<Device & DeviceActivity>> {
    const devices = await this.deps.devices.listForUser(appKey, userId);
    const activity = await this.repo.activityOf(
      appKey,
      userId,
      devices.map((d) => d.deviceId),
    );
    return devices.map((d) => ({ ...d, ...activity.get(d.deviceId) }));
  }

  /** Why each callee device of a call rang or did not. */
  async diagnose(appKey: string, callId: string): Promise<Diagnosis> {
    const { call, deliveries } = await this.deps.calls.get(appKey, callId);
    const callees = Object.keys(call.callees);
    const devices = await Promise.all(callees.map((u) => this.deps.devices.listForUser(appKey, u)));
    return diagnose(call, deliveries, devices.flat(), this.now());
  }
}
