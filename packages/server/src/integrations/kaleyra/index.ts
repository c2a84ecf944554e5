export {
  type KaleyraConfig,
  type KaleyraConfigDeps,
  KaleyraConfigSchema,
  type KaleyraConfigSettings,
  KaleyraConfigStore,
  type KaleyraConfigView,
  KaleyraConfigViewSchema,
} from './config.js';
export { type IntakeResult, KaleyraIntake, type KaleyraIntakeDeps } from './intake.js';
export { isKaleyraPushNotificationPayload } from './payload-formats.js';
export { KaleyraPayloads, type KaleyraPayloadsDeps, type KaleyraPayloadsSettings } from './payloads.js';
export { KaleyraRepository } from './repository.js';
export { bandyerSignature } from './signature.js';
