export { type Device, type DeviceKind, DevicesService, type Registration } from './devices-service.js';
