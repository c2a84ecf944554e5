export * from './client/index.js';
export * from './payload/index.js';
