import type { ExpressionBuilder } from 'kysely';
import type { Database, DevicesTable, Store } from '#infra/store';
import type { ProviderType } from '#providers';

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

type Row = Pick<DevicesTable, (typeof COLUMNS)[number]>;

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

export interface RegisterRow {
  appKey: string;
  userId: string;
  deviceId: string;
  provider: string;
  providerType: ProviderType;
  token: string;
  kind: DeviceKind;
  /** Registration time; the least recent is evicted beyond `maxPerUser`. */
  at: number;
  maxPerUser: number;
}

/** The `devices` table: the one place that reads or writes it. */
export class DevicesRepository {
  constructor(private readonly store: Store) {}

  /**
   * In one transaction: takes the token from whichever device held it, inserts or updates this device, and
   * evicts the user's least recently registered devices beyond the limit.
   */
  register(r: RegisterRow): Promise<Registration> {
    const { appKey, userId, deviceId } = r;
    return this.store.db.transaction().execute(async (tx) => {
      const holders = await tx
        .selectFrom('devices')
        .select(['user_id', 'device_id'])
        .where('app_key', '=', appKey)
        .where('provider_type', '=', r.providerType)
        .where('token', '=', r.token)
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
        provider: r.provider,
        provider_type: r.providerType,
        token: r.token,
        kind: r.kind,
        registered_at: r.at,
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
          .values({ app_key: appKey, user_id: userId, device_id: deviceId, created_at: r.at, ...values })
          .execute();
      }
      const overflow = await tx
        .selectFrom('devices')
        .select('device_id')
        .where('app_key', '=', appKey)
        .where('user_id', '=', userId)
        .orderBy('registered_at', 'desc')
        .orderBy('device_id')
        .offset(r.maxPerUser)
        .limit(1000)
        .execute();
      const evicted = overflow.map((row) => row.device_id);
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

  async find(appKey: string, userId: string, deviceId: string): Promise<Device | undefined> {
    const row = await this.store.db
      .selectFrom('devices')
      .select(COLUMNS)
      .where(oneDevice(appKey, userId, deviceId))
      .executeTakeFirst();
    return row && toDevice(row);
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

  async countForCredential(appKey: string, provider: string): Promise<number> {
    const row = await this.store.db
      .selectFrom('devices')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('app_key', '=', appKey)
      .where('provider', '=', provider)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async delete(appKey: string, userId: string, deviceId: string): Promise<boolean> {
    const result = await this.store.db
      .deleteFrom('devices')
      .where(oneDevice(appKey, userId, deviceId))
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Deletes a device if it still holds `token` and was not registered after `registeredBefore`. */
  async deleteIfUnchanged(
    appKey: string,
    userId: string,
    deviceId: string,
    token: string,
    registeredBefore: number,
  ): Promise<boolean> {
    const result = await this.store.db
      .deleteFrom('devices')
      .where(oneDevice(appKey, userId, deviceId))
      .where('token', '=', token)
      .where('registered_at', '<=', registeredBefore)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
