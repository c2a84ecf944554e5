export type { Capabilities, ReportedCapabilities } from './capabilities.js';
export { alertRegistration, type Device, type DeviceKind, type DeviceRegistration } from './device.js';
export type { Registration } from './devices-repository.js';
export { type DevicesDeps, DevicesService, type DevicesSettings } from './devices-service.js';
export {
  LOCALE_MAX_LENGTH,
  LOCALE_PATTERN,
  MAX_REGISTRATIONS,
  type RegisterInput,
  type RegistrationInput,
} from './register-input.js';
export { UserDirectory } from './user-directory.js';
