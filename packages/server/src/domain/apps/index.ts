export type { App } from './apps-repository.js';
export { type AppsDeps, AppsService, type CreatedApp } from './apps-service.js';
