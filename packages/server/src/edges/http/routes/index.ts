export { adminAppsRoutes } from './admin-apps.js';
export { appProvidersRoutes } from './app-providers.js';
export { appSettingsRoutes } from './app-settings.js';
export { type AppUsersDeps, appUsersRoutes } from './app-users.js';
export { callsRoutes } from './calls.js';
export { type ConnectRouteOptions, connectRoute } from './connect.js';
export { type KaleyraRoutesDeps, kaleyraRoutes } from './kaleyra.js';
export { type OpsDeps, opsRoutes } from './ops.js';
export { userDevicesRoutes } from './user-devices.js';
