export type { App } from './apps-repository.js';
export { type AppsDeps, AppsService, type CreatedApp } from './apps-service.js';
export {
  type LocaleTexts,
  type NotificationTexts,
  type NotificationTextsInput,
  NotificationTextsSchema,
  type TextKey,
  type TextTemplate,
} from './notification-texts.js';
export type { RenderedText, TextVars } from './render-text.js';
export {
  type AppSettings,
  type AppSettingsPatch,
  AppSettingsPatchSchema,
  AppSettingsSchema,
  DEFAULT_SETTINGS,
} from './settings.js';
export { type AppSettingsDeps, AppSettingsService, type NotificationTextsView } from './settings-service.js';
