export {
  type KaleyraConfig,
  KaleyraConfigSchema,
  KaleyraConfigStore,
  type KaleyraConfigView,
  KaleyraConfigViewSchema,
} from './kaleyra-config.js';
export { isKaleyraPushNotificationPayload } from './kaleyra-payload.js';
export { KaleyraService } from './kaleyra-service.js';
export { bandyerSignature } from './kaleyra-signature.js';
