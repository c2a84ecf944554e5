import { InvalidInput } from '#kernel';
import type { ProviderType, RegistrationChoices } from '#providers';
import type { Capabilities } from './capabilities.js';
import type { DeviceRegistration } from './device.js';

/** One registration as a client sends it: the provider type is looked up from the credential it names. */
export type RegistrationInput = Omit<DeviceRegistration, 'providerType'>;

/**
 * A device's registrations: one given inline (the original body) or a list of one or two; with what the device
 * reports it can do (merged into what it reported before).
 */
export type RegisterInput = (RegistrationInput | { registrations: RegistrationInput[] }) & {
  locale?: string;
  capabilities?: Capabilities;
};

/** A device holds at most one registration per kind, so at most two. */
export const MAX_REGISTRATIONS = 2;
/** BCP 47 shape only (language, then subtags); which locales have texts is the app's business. */
export const LOCALE_PATTERN = '^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$';
/** The longest tag RFC 5646 asks implementations to accept. */
export const LOCALE_MAX_LENGTH = 35;
const LOCALE = new RegExp(LOCALE_PATTERN);

/** A registration with where it sat in the request, so an error names the client's field. */
export interface Entry extends RegistrationInput {
  /** `''` for the inline form, `registrations.<i>.` for the list form. */
  prefix: string;
}

/** The entries of a request, checked for what one device may hold, and its locale. */
export function entriesOf(input: RegisterInput): { entries: Entry[]; locale: string | undefined } {
  const { locale } = input;
  if (locale !== undefined && (locale.length > LOCALE_MAX_LENGTH || !LOCALE.test(locale))) {
    throw new InvalidInput('validation_failed', 'locale must be a BCP 47 language tag such as de or pt-BR', 'locale');
  }
  if (!('registrations' in input)) return { entries: [entryOf(input, '')], locale };
  const list = input.registrations;
  if (list.length < 1 || list.length > MAX_REGISTRATIONS) {
    throw new InvalidInput(
      'validation_failed',
      `registrations must hold 1 to ${MAX_REGISTRATIONS} entries, at most one per kind`,
      'registrations',
    );
  }
  const entries = list.map((r, i) => entryOf(r, `registrations.${i}.`));
  entries.forEach((e, i) => {
    if (entries.findIndex((other) => other.kind === e.kind) < i) {
      throw new InvalidInput(
        'validation_failed',
        `${e.prefix}kind repeats ${e.kind}: one registration per kind`,
        `${e.prefix}kind`,
      );
    }
  });
  return { entries, locale };
}

/** The fields of a registration the gateway knows, with where it sat in the request. */
function entryOf({ provider, token, kind, environment, format }: RegistrationInput, prefix: string): Entry {
  return {
    provider,
    token,
    kind,
    ...(environment === undefined ? {} : { environment }),
    ...(format === undefined ? {} : { format }),
    prefix,
  };
}

/** Fields that name one provider's choice (the APNs gateway, the Web Push body): on another's they are a mistake. */
const CHOICE_OF: Record<keyof RegistrationChoices, { type: ProviderType; name: string }> = {
  environment: { type: 'apns', name: 'APNs' },
  format: { type: 'webpush', name: 'Web Push' },
};

/** Refuses a choice made on a registration of a provider it does not belong to. */
export function checkChoices(entry: Entry & Pick<DeviceRegistration, 'providerType'>): void {
  for (const [field, owner] of Object.entries(CHOICE_OF)) {
    if (entry[field as keyof RegistrationChoices] !== undefined && entry.providerType !== owner.type) {
      throw new InvalidInput(
        'validation_failed',
        `${entry.prefix}${field} is for ${owner.name} registrations only`,
        `${entry.prefix}${field}`,
      );
    }
  }
}

/** Refuses one token given twice (a token is unique per app and provider type, so the second would evict the first). */
export function checkDistinctTokens(entries: Array<Entry & Pick<DeviceRegistration, 'providerType'>>): void {
  entries.forEach((e, i) => {
    if (entries.findIndex((o) => o.providerType === e.providerType && o.token === e.token) < i) {
      throw new InvalidInput(
        'validation_failed',
        `${e.prefix}token is given twice; each kind has its own token`,
        `${e.prefix}token`,
      );
    }
  });
}

/** Points an error of a token check (`token`, `token.keys.p256dh`) at the entry it is about. */
export function inEntry(err: unknown, entry: Entry): unknown {
  if (!(err instanceof InvalidInput) || !entry.prefix) return err;
  const field = err.field ? `${entry.prefix}${err.field}` : entry.prefix.slice(0, -1);
  return new InvalidInput(err.code, `${entry.prefix.slice(0, -1)}: ${err.message}`, field);
}
