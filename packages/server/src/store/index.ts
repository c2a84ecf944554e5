export { type Engine, openStore, type Store, type StoreOptions } from './connect.js';
export type { Database } from './schema.js';
