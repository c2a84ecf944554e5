import type { Store } from '#infra/store';
import { type Clock, InvalidInput, NotFound, systemClock } from '#kernel';
import type { ProvidersService } from '#providers';
import { type Device, type DeviceKind, DevicesRepository, type Registration } from './devices-repository.js';

export interface DevicesDeps {
  store: Store;
  /** Which credential a registration names, and whether the token is right for it. */
  providers: Pick<ProvidersService, 'checkPushToken'>;
  now?: Clock;
}

export interface DevicesSettings {
  /** Devices one user may hold; one more evicts the least recently registered. */
  maxDevicesPerUser: number;
}

/** The device registry: push tokens per user, unique per app and provider type. */
export class DevicesService {
  private readonly repo: DevicesRepository;
  private readonly now: Clock;
  private lastStamp = 0;

  constructor(
    private readonly deps: DevicesDeps,
    private readonly settings: DevicesSettings,
  ) {
    this.repo = new DevicesRepository(deps.store);
    this.now = deps.now ?? systemClock;
  }

  /** Strictly increasing registration times in this process, so eviction order is exact even within a millisecond. */
  private stamp(): number {
    this.lastStamp = Math.max(this.now(), this.lastStamp + 1);
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
    const providerType = await this.deps.providers.checkPushToken(appKey, input.provider, input.token);
    if (!providerType) {
      throw new InvalidInput(
        'unknown_provider',
        `the app has no provider credential named ${input.provider}`,
        'provider',
      );
    }
    return this.repo.register({
      appKey,
      userId,
      deviceId,
      ...input,
      providerType,
      at: this.stamp(),
      maxPerUser: this.settings.maxDevicesPerUser,
    });
  }

  async get(appKey: string, userId: string, deviceId: string): Promise<Device> {
    const device = await this.repo.find(appKey, userId, deviceId);
    if (!device) throw new NotFound('device_not_found', `user ${userId} has no device ${deviceId}`);
    return device;
  }

  listForUser(appKey: string, userId: string): Promise<Device[]> {
    return this.repo.listForUser(appKey, userId);
  }

  /** How many devices are registered on one credential of an app (the pruning circuit breaker's base). */
  countForCredential(appKey: string, provider: string): Promise<number> {
    return this.repo.countForCredential(appKey, provider);
  }

  async delete(appKey: string, userId: string, deviceId: string): Promise<void> {
    if (!(await this.repo.delete(appKey, userId, deviceId))) {
      throw new NotFound('device_not_found', `user ${userId} has no device ${deviceId}`);
    }
  }

  /**
   * Removes a device whose token the provider says is dead, unless it was re-registered after the send
   * started (the new token must not go with the old one). True when it was removed.
   */
  prune(
    device: { appKey: string; userId: string; deviceId: string; token: string },
    sendStartedAt: number,
  ): Promise<boolean> {
    return this.repo.deleteIfUnchanged(device.appKey, device.userId, device.deviceId, device.token, sendStartedAt);
  }
}
