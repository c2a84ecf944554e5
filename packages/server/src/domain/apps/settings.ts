import { Type } from 'typebox';

/** Per-app behaviour of calls (docs/notifications.md#settings). */
export interface AppSettings {
  missedCalls: {
    /** Callees still ringing when a call times out or the caller gives up get a `call.missed` notice. */
    enabled: boolean;
    /** FCM and HMS notices carry a visible notification block, not only data. */
    visibleOnData: boolean;
  };
  /** A new call to a user already in an answered call is declined at once with `busy`. */
  rejectWhenBusy: boolean;
}

/** What `PUT /v1/apps/{appKey}/settings` takes: any part of the document; the rest is kept. */
export interface AppSettingsPatch {
  missedCalls?: Partial<AppSettings['missedCalls']>;
  rejectWhenBusy?: boolean;
}

export const DEFAULT_SETTINGS: AppSettings = {
  missedCalls: { enabled: true, visibleOnData: false },
  rejectWhenBusy: false,
};

const strict = { additionalProperties: false } as const;

export const AppSettingsSchema = Type.Object(
  {
    missedCalls: Type.Object({ enabled: Type.Boolean(), visibleOnData: Type.Boolean() }, strict),
    rejectWhenBusy: Type.Boolean(),
  },
  strict,
);

export const AppSettingsPatchSchema = Type.Object(
  {
    missedCalls: Type.Optional(
      Type.Object({ enabled: Type.Optional(Type.Boolean()), visibleOnData: Type.Optional(Type.Boolean()) }, strict),
    ),
    rejectWhenBusy: Type.Optional(Type.Boolean()),
  },
  strict,
);

/** `patch` over `base`: a field the patch leaves out keeps its value. */
export function mergeSettings(base: AppSettings, patch: AppSettingsPatch): AppSettings {
  return {
    missedCalls: {
      enabled: patch.missedCalls?.enabled ?? base.missedCalls.enabled,
      visibleOnData: patch.missedCalls?.visibleOnData ?? base.missedCalls.visibleOnData,
    },
    rejectWhenBusy: patch.rejectWhenBusy ?? base.rejectWhenBusy,
  };
}

/**
 * The settings of a stored column (null: none stored). Read over the defaults, so a row written before a
 * setting existed gets that setting's default.
 */
export function parseSettings(json: string | null): AppSettings {
  if (json === null) return DEFAULT_SETTINGS;
  const stored = JSON.parse(json) as AppSettingsPatch;
  return mergeSettings(DEFAULT_SETTINGS, stored);
}
