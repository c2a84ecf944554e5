export { type App, AppsService, type CreatedApp } from './apps-service.js';
