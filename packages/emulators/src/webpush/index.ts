export { type DeclarativeParse, parseDeclarative } from './declarative.js';
export {
  type Aes128gcmHeader,
  decryptAes128gcm,
  deriveContentKeys,
  EceError,
  parseAes128gcmHeader,
  type UaKeys,
} from './ece.js';
export { startWebPushEmulator, type WebPushEmulator, type WebPushEmulatorOptions } from './server.js';
export type { IssuedSubscription, PushSubscriptionJson, SubscribeOptions } from './subscriptions.js';
export { parseVapidAuthorization, type VapidCredentials, verifyVapid } from './vapid.js';
