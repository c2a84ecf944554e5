export * from './apns/index.js';
export * from './core/index.js';
export * from './fcm/index.js';
// FCM and HMS both name a MAX_TTL_SECONDS; the HMS one is exported under its provider's name.
export {
  HMS_RESULTS,
  type HmsEmulator,
  type HmsEmulatorOptions,
  type HmsFault,
  type HmsReceiptConfig,
  HmsReceipts,
  type HmsResultCode,
  hmsCallbackId,
  MAX_BODY_BYTES_WITHOUT_TOKENS as HMS_MAX_BODY_BYTES_WITHOUT_TOKENS,
  MAX_TOKENS as HMS_MAX_TOKENS,
  MAX_TTL_SECONDS as HMS_MAX_TTL_SECONDS,
  type PostedReceipt,
  startHmsEmulator,
} from './hms/index.js';
export * from './kaleyra/index.js';
export { type EmulatorCredentials, type Emulators, type StartEmulatorsOptions, startEmulators } from './start-all.js';
export * from './webpush/index.js';
