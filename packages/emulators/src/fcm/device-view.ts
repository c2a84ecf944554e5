import { androidNotificationView, type DeviceView } from '../core/device-view.js';

type Fields = Record<string, unknown>;

/**
 * What an Android device gets from a parsed message (snake_case names, enums by name). The notification shown
 * is `android.notification` over `message.notification`, field by field. Without a priority FCM sends a
 * notification message HIGH and a data message NORMAL.
 */
export function fcmDeviceView(message: Fields): DeviceView {
  const android = (message.android ?? {}) as Fields;
  const common = message.notification as Fields | undefined;
  const own = android.notification as Fields | undefined;
  const shown = common || own ? { ...common, ...own } : undefined;
  const priority = android.priority ?? (shown ? 'HIGH' : 'NORMAL');
  const collapseKey = android.collapse_key as string | undefined;
  return {
    priority: priority === 'HIGH' ? 'high' : 'normal',
    ...(collapseKey === undefined ? {} : { collapseKey }),
    ...(shown ? { notification: androidNotificationView(shown) } : {}),
  };
}
