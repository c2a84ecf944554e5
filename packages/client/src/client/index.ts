export type { BackoffOptions } from './backoff.js';
export {
  Call,
  type CallEvents,
  type CallState,
  type DeclineOptions,
  type MissedCallNotice,
} from './call.js';
export type { CallDeviceStatus, CallStatus, GatewayCallState } from './call-status.js';
export {
  type CallNotification,
  CallPushClient,
  type CallPushClientOptions,
  type ClientEvents,
  type ConnectOptions,
  type Handling,
  type PlaceCallOptions,
} from './client.js';
export type { ConnectedInfo, DisconnectedInfo } from './connection.js';
export { CallPushError } from './errors.js';
export type { FetchLike } from './http.js';
export {
  type CalleeState,
  OutgoingCall,
  type OutgoingCallEvents,
  type OutgoingCallUpdate,
} from './outgoing-call.js';
export type {
  ApnsEnvironment,
  PushRegistration,
  RegisteredDevice,
  RegisteredToken,
  RegisterPushTokenOptions,
  WebPushFormat,
} from './registration.js';
export type { AccessTokenProvider } from './token.js';
export type { WebSocketConstructor, WebSocketLike } from './websocket.js';
