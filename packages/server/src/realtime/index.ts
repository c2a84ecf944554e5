export { connectRoute } from './connect-route.js';
export { type Connection, ConnectionHub } from './hub.js';
export { CLOSE, MAX_FRAME_BYTES } from './protocol.js';
export { ConnectionRouter, type LiveDevices } from './router.js';
