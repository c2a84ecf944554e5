export * from './behaviours.js';
export * from './device-view.js';
export * from './handle.js';
export * from './http.js';
export * from './inspection.js';
export * from './messages.js';
export * from './tls.js';
