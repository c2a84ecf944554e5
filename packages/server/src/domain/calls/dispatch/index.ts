export { Dispatcher, type DispatcherDeps, type DispatcherSettings } from './dispatcher.js';
export type { RingPayloads } from './push-attempt.js';
export { stillRinging } from './still-ringing.js';
