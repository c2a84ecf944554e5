import type { ExpressionBuilder } from 'kysely';
import { badRequest, notFound } from '../http/errors.js';
import { checkPushToken, type ProviderType } from '../providers/index.js';
import type { Database, Store } from '../store/index.js';

export type DeviceKind = 'voip' | 'alert';

export interface Device {
  deviceId: string;
  userId: string;
  provider: string;
  providerType: ProviderType;
  token: string;
  kind: DeviceKind;
  createdAt: number;
  registeredAt: number;
}

export interface Registration {
  device: Device;
  created: boolean;
  /** Devices that lost the token to this registration (another user or device had it). */
  movedFrom: Array<{ userId: string; deviceId: string }>;
  /** Devices evicted because the user went over the limit. */
  evicted: string[];
}

interface Row {
  user_id: string;
  device_id: string;
  provider: string;
  provider_type: string;
  token: string;
  kind: string;
  created_at: number;
  registered_at: number;
}

const COLUMNS = [
  'user_id',
  'device_id',
  'provider',
  'provider_type',
  'token',
  'kind',
  'created_at',
  'registered_at',
] as const;

function toDevice(row: Row): Device {
  return {
    deviceId: row.device_id,
    userId: row.user_id,
    provider: row.provider,
    providerType: row.provider_type as ProviderType,
    token: row.token,
    kind: row.kind as DeviceKind,
    createdAt: Number(row.created_at),
    registeredAt: Number(row.registered_at),
  };
}

/** Matches the one device row of (app, user, device id). */
const oneDevice = (appKey: string, userId: string, deviceId: string) => (eb: ExpressionBuilder<Database, 'devices'>) =>
  eb.and({ app_key: appKey, user_id: userId, device_id: deviceId });

/** The device registry: push tokens per user, unique per app and provider type. */
export class DevicesService {
  private lastStamp = 0;

  constructor(
    private readonly store: Store,
    private readonly maxDevicesPerUser: number,
  ) {}

  /** Strictly increasing registration times in this process, so eviction order is exact even within a millisecond. */
  private stamp(): number {
    this.lastStamp = Math.max(Date.now(), this.lastStamp + 1);
    return this.lastStamp;
  }

  /**
   * Registers (or re-registers) a device. The token moves here from whichever device held it, so after a
   * logout/login on a shared phone the previous user's calls never reach the new user.
   */
  async register(
    appKey: string,
    userId: string,
    deviceId: string,
    input: { provider: string; token: string; kind: DeviceKind },
  ): Promise<Registration> {
    const credential = await this.store.db
      .selectFrom('provider_credentials')
      .select('type')
      .where('app_key', '=', appKey)
      .where('name', '=', input.provider)
      .executeTakeFirst();
    if (!credential) {
      throw badRequest('unknown_provider', `the app has no provider credential named ${input.provider}`, 'provider');
    }
    const providerType = credential.type as ProviderType;
    checkPushToken(providerType, input.token);
    const now = this.stamp();
    return this.store.db.transaction().execute(async (tx) => {
      const holders = await tx
        .selectFrom('devices')
        .select(['user_id', 'device_id'])
        .where('app_key', '=', appKey)
        .where('provider_type', '=', providerType)
        .where('token', '=', input.token)
        .execute();
      const movedFrom = holders
        .filter((h) => h.user_id !== userId || h.device_id !== deviceId)
        .map((h) => ({ userId: h.user_id, deviceId: h.device_id }));
      for (const h of movedFrom) {
        await tx
          .deleteFrom('devices')
          .where(oneDevice(appKey, h.userId, h.deviceId))
          .execute();
      }
      const values = {
        provider: input.provider,
        provider_type: providerType,
        token: input.token,
        kind: input.kind,
        registered_at: now,
      };
      const updated = await tx
        .updateTable('devices')
        .set(values)
        .where(oneDevice(appKey, userId, deviceId))
        .executeTakeFirst();
      const created = Number(updated.numUpdatedRows) === 0;
      if (created) {
        await tx
          .insertInto('devices')
          .values({ app_key: appKey, user_id: userId, device_id: deviceId, created_at: now, ...values })
          .execute();
      }
      const overflow = await tx
        .selectFrom('devices')
        .select('device_id')
        .where('app_key', '=', appKey)
        .where('user_id', '=', userId)
        .orderBy('registered_at', 'desc')
        .orderBy('device_id')
        .offset(this.maxDevicesPerUser)
        .limit(1000)
        .execute();
      const evicted = overflow.map((r) => r.device_id);
      if (evicted.length > 0) {
        await tx
          .deleteFrom('devices')
          .where('app_key', '=', appKey)
          .where('user_id', '=', userId)
          .where('device_id', 'in', evicted)
          .execute();
      }
      const row = await tx
        .selectFrom('devices')
        .select(COLUMNS)
        .where(oneDevice(appKey, userId, deviceId))
        .executeTakeFirstOrThrow();
      return { device: toDevice(row), created, movedFrom, evicted };
    });
  }

  async get(appKey: string, userId: string, deviceId: string): Promise<Device> {
    const row = await this.store.db
      .selectFrom('devices')
      .select(COLUMNS)
      .where(oneDevice(appKey, userId, deviceId))
      .executeTakeFirst();
    if (!row) throw notFound('device_not_found', `user ${userId} has no device ${deviceId}`);
    return toDevice(row);
  }

  async listForUser(appKey: string, userId: string): Promise<Device[]> {
    const rows = await this.store.db
      .selectFrom('devices')
      .select(COLUMNS)
      .where('app_key', '=', appKey)
      .where('user_id', '=', userId)
      .orderBy('registered_at', 'desc')
      .execute();
    return rows.map(toDevice);
  }

  async delete(appKey: string, userId: string, deviceId: string): Promise<void> {
    const result = await this.store.db
      .deleteFrom('devices')
      .where(oneDevice(appKey, userId, deviceId))
      .executeTakeFirst();
    if (Number(result.numDeletedRows) === 0)
      throw notFound('device_not_found', `user ${userId} has no device ${deviceId}`);
  }
}
