export type { ApnsEnvironment, DeviceBinding } from './devices.js';
export { PUSH_TYPES, type PushType } from './headers.js';
export { PAYLOAD_LIMIT, VOIP_PAYLOAD_LIMIT } from './payload.js';
export type { ProviderKey } from './provider-token.js';
export { APNS_REASON_STATUS, type ApnsReason } from './reasons.js';
export { type ApnsEmulator, type ApnsEmulatorOptions, startApnsEmulator } from './server.js';
