import { androidNotificationView, type DeviceView } from '../core/device-view.js';

type Fields = Record<string, unknown>;

/**
 * What a Huawei device gets from a validated message: Push Kit's urgency (NORMAL when unset), a collapse group
 * from 0 to 100 (−1 collapses nothing), and the notification, `android.notification` over
 * `message.notification`, when there is one.
 */
export function hmsDeviceView(message: Fields): DeviceView {
  const android = (message.android ?? {}) as Fields;
  const common = message.notification as Fields | undefined;
  const own = android.notification as Fields | undefined;
  const group = android.collapse_key as number | undefined;
  return {
    priority: android.urgency === 'HIGH' ? 'high' : 'normal',
    ...(group === undefined || group < 0 ? {} : { collapseKey: String(group) }),
    ...(common || own ? { notification: androidNotificationView({ ...common, ...own }) } : {}),
  };
}
