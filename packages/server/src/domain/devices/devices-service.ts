import type { Store } from '#infra/store';
import { type Clock, InvalidInput, NotFound, systemClock } from '#kernel';
import type { ProvidersService, ProviderType } from '#providers';
import type { Capabilities } from './capabilities.js';
import type { Device } from './device.js';
import { DevicesRepository, type Registration } from './devices-repository.js';
import {
  checkChoices,
  checkDistinctTokens,
  type Entry,
  entriesOf,
  inEntry,
  type RegisterInput,
} from './register-input.js';

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

/** The device registry: push registrations per device (one per kind), each token unique per app and provider type. */
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

  /** Prepares the read every placed call makes (DevicesRepository.warm). */
  warm(): void {
    this.repo.warm();
  }

  /** Strictly increasing registration times in this process, so eviction order is exact even within a millisecond. */
  private stamp(): number {
    this.lastStamp = Math.max(this.now(), this.lastStamp + 1);
    return this.lastStamp;
  }

  /**
   * Registers (or re-registers) a device with exactly the registrations given. Each token moves here from
   * whichever registration held it, so after a logout/login on a shared phone the previous user's calls never
   * reach the new user.
   */
  async register(appKey: string, userId: string, deviceId: string, input: RegisterInput): Promise<Registration> {
    const { entries, locale } = entriesOf(input);
    const typed = [];
    for (const entry of entries) typed.push({ ...entry, providerType: await this.typeOf(appKey, entry) });
    typed.forEach(checkChoices);
    checkDistinctTokens(typed);
    return this.repo.register({
      appKey,
      userId,
      deviceId,
      registrations: typed.map(({ prefix: _prefix, ...registration }) => registration),
      locale,
      capabilities: input.capabilities,
      at: this.stamp(),
      maxPerUser: this.settings.maxDevicesPerUser,
    });
  }

  /** The type of the credential an entry names, once its token passed that provider's checks. */
  private async typeOf(appKey: string, entry: Entry): Promise<ProviderType> {
    let type: ProviderType | undefined;
    try {
      type = await this.deps.providers.checkPushToken(appKey, entry.provider, entry.token, entry);
    } catch (err) {
      throw inEntry(err, entry);
    }
    if (!type) {
      throw new InvalidInput(
        'unknown_provider',
        `the app has no provider credential named ${entry.provider}`,
        `${entry.prefix}provider`,
      );
    }
    return type;
  }

  async get(appKey: string, userId: string, deviceId: string): Promise<Device> {
    const device = await this.repo.find(appKey, userId, deviceId);
    if (!device) throw new NotFound('device_not_found', `user ${userId} has no device ${deviceId}`);
    return device;
  }

  /** The user's devices, the most recently registered first. */
  listForUser(appKey: string, userId: string): Promise<Device[]> {
    return this.repo.listForUser(appKey, userId);
  }

  /** How many registrations name one credential of an app (the pruning circuit breaker's base). */
  countForCredential(appKey: string, provider: string): Promise<number> {
    return this.repo.countForCredential(appKey, provider);
  }

  /**
   * A device reports what it can do (on a receipt): merged into what it reported before. False when the device
   * has no registration (a tab known only by its socket): nothing to keep it with, and no reason to fail.
   */
  reportCapabilities(appKey: string, userId: string, deviceId: string, report: Capabilities): Promise<boolean> {
    return this.repo.reportCapabilities(appKey, userId, deviceId, report, this.now());
  }

  /** Unregisters a device with all its registrations. */
  async delete(appKey: string, userId: string, deviceId: string): Promise<void> {
    if (!(await this.repo.delete(appKey, userId, deviceId))) {
      throw new NotFound('device_not_found', `user ${userId} has no device ${deviceId}`);
    }
  }

  /**
   * Removes the registration whose token the provider says is dead (the device's other registration stays),
   * unless the device was re-registered after the send started (the new token must not go with the old one).
   * True when it was removed.
   */
  prune(
    registration: { appKey: string; userId: string; deviceId: string; providerType: string; token: string },
    sendStartedAt: number,
  ): Promise<boolean> {
    return this.repo.deleteRegistrationIfUnchanged(registration, sendStartedAt);
  }
}
