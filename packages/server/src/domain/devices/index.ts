export type { Device, DeviceKind, Registration } from './devices-repository.js';
export { type DevicesDeps, DevicesService, type DevicesSettings } from './devices-service.js';
