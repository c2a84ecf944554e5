import type { ExpressionBuilder } from 'kysely';
import { type Database, type DeviceRegistrationsTable, PreparedQuery, type Store } from '#infra/store';
import type { ApnsEnvironment, ProviderType, WebPushFormat } from '#providers';
import { type Capabilities, mergeCapabilities, type ReportedCapabilities } from './capabilities.js';
import { byRingOrder, type Device, type DeviceKind, type DeviceRegistration } from './device.js';

export interface Registration {
  device: Device;
  created: boolean;
  /** Devices that lost a token to this registration (another user or device had it). */
  movedFrom: Array<{ userId: string; deviceId: string }>;
  /** Devices evicted because the user went over the limit. */
  evicted: string[];
}

const TABLE = 'device_registrations';

const COLUMNS = [
  'user_id',
  'device_id',
  'provider',
  'provider_type',
  'token',
  'kind',
  'locale',
  'capabilities_json',
  'environment',
  'format',
  'created_at',
  'registered_at',
] as const;

type Row = Pick<DeviceRegistrationsTable, (typeof COLUMNS)[number]>;

const toRegistration = (row: Row): DeviceRegistration => ({
  provider: row.provider,
  providerType: row.provider_type as ProviderType,
  token: row.token,
  kind: row.kind as DeviceKind,
  ...(row.environment === null ? {} : { environment: row.environment as ApnsEnvironment }),
  ...(row.format === null ? {} : { format: row.format as WebPushFormat }),
});

const capabilitiesOf = (json: string | null): ReportedCapabilities | undefined =>
  json === null ? undefined : (JSON.parse(json) as ReportedCapabilities);

/** The rows of one device (all written by one PUT, so they share locale, capabilities and times) as one device. */
function toDevice(rows: Row[]): Device {
  const first = rows[0]!;
  const registrations = rows.map(toRegistration).sort(byRingOrder);
  const capabilities = capabilitiesOf(first.capabilities_json);
  return {
    deviceId: first.device_id,
    userId: first.user_id,
    ...registrations[0]!,
    ...(first.locale !== null ? { locale: first.locale } : {}),
    registrations,
    ...(capabilities ? { capabilities } : {}),
    createdAt: Math.min(...rows.map((r) => Number(r.created_at))),
    registeredAt: Math.max(...rows.map((r) => Number(r.registered_at))),
  };
}

/** Rows of one user's devices, grouped by device in the order each device first appears. */
function toDevices(rows: Row[]): Device[] {
  const byDevice = new Map<string, Row[]>();
  for (const row of rows) {
    const group = byDevice.get(row.device_id);
    if (group) group.push(row);
    else byDevice.set(row.device_id, [row]);
  }
  return [...byDevice.values()].map(toDevice);
}

/** Matches the registrations of one device of (app, user, device id). */
const oneDevice =
  (appKey: string, userId: string, deviceId: string) => (eb: ExpressionBuilder<Database, typeof TABLE>) =>
    eb.and({ app_key: appKey, user_id: userId, device_id: deviceId });

export interface RegisterRows {
  appKey: string;
  userId: string;
  deviceId: string;
  /** The device's registrations from now on: one or two, one per kind, each token once. */
  registrations: DeviceRegistration[];
  locale: string | undefined;
  /** What the device reports with this registration: merged into what it reported before. */
  capabilities: Capabilities | undefined;
  /** Registration time; the device registered least recently is evicted beyond `maxPerUser`. */
  at: number;
  maxPerUser: number;
}

/** A user's devices, the most recently registered first: read for every call placed, so prepared once. */
const LIST_FOR_USER = new PreparedQuery(['appKey', 'userId'] as const, (db, p) =>
  db
    .selectFrom(TABLE)
    .select(COLUMNS)
    .where('app_key', '=', p.appKey)
    .where('user_id', '=', p.userId)
    .orderBy('registered_at', 'desc')
    .orderBy('device_id'),
);

/** The `device_registrations` table: the one place that reads or writes it. */
export class DevicesRepository {
  constructor(private readonly store: Store) {}

  /**
   * In one transaction: replaces the device's registrations with `r.registrations`, taking each token from
   * whichever registration held it, and evicts the user's least recently registered devices beyond the limit.
   */
  register(r: RegisterRows): Promise<Registration> {
    const { appKey, userId, deviceId } = r;
    return this.store.db.transaction().execute(async (tx) => {
      // The device's rows go and come back: only the registrations given survive, with the device's creation time
      // and what it reported before (a re-registration at app start must not forget a receipt's report).
      const previous = await tx
        .deleteFrom(TABLE)
        .where(oneDevice(appKey, userId, deviceId))
        .returning(['created_at', 'capabilities_json'])
        .execute();
      const movedFrom = new Map<string, { userId: string; deviceId: string }>();
      for (const reg of r.registrations) {
        const losers = await tx
          .deleteFrom(TABLE)
          .where('app_key', '=', appKey)
          .where('provider_type', '=', reg.providerType)
          .where('token', '=', reg.token)
          .returning(['user_id', 'device_id'])
          .execute();
        for (const l of losers)
          movedFrom.set(`${l.user_id}\u0000${l.device_id}`, { userId: l.user_id, deviceId: l.device_id });
      }
      const createdAt = previous.length > 0 ? Math.min(...previous.map((p) => Number(p.created_at))) : r.at;
      const kept = capabilitiesOf(previous[0]?.capabilities_json ?? null);
      const capabilities = r.capabilities ? mergeCapabilities(kept, r.capabilities, r.at) : kept;
      await tx
        .insertInto(TABLE)
        .values(
          r.registrations.map((reg) => ({
            app_key: appKey,
            user_id: userId,
            device_id: deviceId,
            provider: reg.provider,
            provider_type: reg.providerType,
            token: reg.token,
            kind: reg.kind,
            environment: reg.environment ?? null,
            format: reg.format ?? null,
            locale: r.locale ?? null,
            capabilities_json: capabilities ? JSON.stringify(capabilities) : null,
            created_at: createdAt,
            registered_at: r.at,
          })),
        )
        .execute();
      // Devices, not registrations, count towards the limit: the newest registration time of each device.
      const overflow = await tx
        .selectFrom(TABLE)
        .select((eb) => ['device_id', eb.fn.max('registered_at').as('last')])
        .where('app_key', '=', appKey)
        .where('user_id', '=', userId)
        .groupBy('device_id')
        .orderBy('last', 'desc')
        .orderBy('device_id')
        .offset(r.maxPerUser)
        // SQLite takes an offset only with a limit.
        .limit(1000)
        .execute();
      const evicted = overflow.map((row) => row.device_id);
      if (evicted.length > 0) {
        await tx
          .deleteFrom(TABLE)
          .where('app_key', '=', appKey)
          .where('user_id', '=', userId)
          .where('device_id', 'in', evicted)
          .execute();
      }
      const rows = await tx
        .selectFrom(TABLE)
        .select(COLUMNS)
        .where(oneDevice(appKey, userId, deviceId))
        .execute();
      return { device: toDevice(rows), created: previous.length === 0, movedFrom: [...movedFrom.values()], evicted };
    });
  }

  async find(appKey: string, userId: string, deviceId: string): Promise<Device | undefined> {
    const rows = await this.store.db
      .selectFrom(TABLE)
      .select(COLUMNS)
      .where(oneDevice(appKey, userId, deviceId))
      .execute();
    return rows.length > 0 ? toDevice(rows) : undefined;
  }

  /** Has the database parse the ring path's read (a callee's devices) before the first call needs it. */
  warm(): void {
    this.store.prepare([LIST_FOR_USER.query(this.store.db, this.store.engine, { appKey: '', userId: '' })]);
  }

  /** The user's devices, the most recently registered first. */
  async listForUser(appKey: string, userId: string): Promise<Device[]> {
    return toDevices(await LIST_FOR_USER.rows(this.store.db, this.store.engine, { appKey, userId }));
  }

  /**
   * Merges a report into what the device reported before, on every registration of the device (they share it).
   * False when the device has no registration.
   */
  reportCapabilities(
    appKey: string,
    userId: string,
    deviceId: string,
    report: Capabilities,
    at: number,
  ): Promise<boolean> {
    return this.store.db.transaction().execute(async (tx) => {
      const row = await tx
        .selectFrom(TABLE)
        .select('capabilities_json')
        .where(oneDevice(appKey, userId, deviceId))
        .executeTakeFirst();
      if (!row) return false;
      const merged = mergeCapabilities(capabilitiesOf(row.capabilities_json), report, at);
      await tx
        .updateTable(TABLE)
        .set({ capabilities_json: JSON.stringify(merged) })
        .where(oneDevice(appKey, userId, deviceId))
        .execute();
      return true;
    });
  }

  /** Registrations (not devices) on one credential. */
  async countForCredential(appKey: string, provider: string): Promise<number> {
    const row = await this.store.db
      .selectFrom(TABLE)
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('app_key', '=', appKey)
      .where('provider', '=', provider)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Deletes every registration of a device. */
  async delete(appKey: string, userId: string, deviceId: string): Promise<boolean> {
    const result = await this.store.db
      .deleteFrom(TABLE)
      .where(oneDevice(appKey, userId, deviceId))
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /**
   * Deletes the one registration of a device that still holds `token` (of `providerType`), unless the device
   * was registered after `registeredBefore`; its other registration stays.
   */
  async deleteRegistrationIfUnchanged(
    target: { appKey: string; userId: string; deviceId: string; providerType: string; token: string },
    registeredBefore: number,
  ): Promise<boolean> {
    const result = await this.store.db
      .deleteFrom(TABLE)
      .where(oneDevice(target.appKey, target.userId, target.deviceId))
      .where('provider_type', '=', target.providerType)
      .where('token', '=', target.token)
      .where('registered_at', '<=', registeredBefore)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
