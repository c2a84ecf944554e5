export { type Connection, ConnectionHub, closeSocket, type HubOptions } from './hub.js';
export { CLOSE, type ClientFrame, HELLO_TIMEOUT_MS, MAX_FRAME_BYTES, parseClientFrame } from './protocol.js';
export { ConnectionRouter, type LiveDevices } from './router.js';
