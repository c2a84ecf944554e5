export type { components, operations, paths } from './api.js';
export { type CallpushClient, CallpushError, type CallpushOptions, createCallpush, ok } from './client.js';
export { type CallpushEvent, type EventType, verifyEvent } from './events.js';
export {
  type ForwardOptions,
  forwardKaleyraWebhook,
  type KaleyraAnswer,
  type KaleyraScheme,
  signKaleyraWebhook,
  verifyKaleyraSignature,
} from './kaleyra.js';
export { type HeadersLike, SignatureError } from './signatures.js';
export { type MintedToken, type MintOptions, mintAccessToken, signingKey } from './tokens.js';
