export type { BackoffOptions } from './backoff.js';
export { Call, type CallEvents, type CallState, OutgoingCall } from './call.js';
export {
  type CallNotification,
  CallPushClient,
  type CallPushClientOptions,
  type ClientEvents,
  type ConnectOptions,
  type Handling,
  type PlaceCallOptions,
  type RegisteredDevice,
  type RegisterPushTokenOptions,
} from './client.js';
export type { ConnectedInfo, DisconnectedInfo } from './connection.js';
export { CallPushError } from './errors.js';
export type { FetchLike } from './http.js';
export type { AccessTokenProvider } from './token.js';
export type { WebSocketConstructor, WebSocketLike } from './websocket.js';
