import { type DeviceView, type ShownNotification, shownNotification } from '../core/device-view.js';
import type { PushType } from './headers.js';

const PRIORITY: Record<string, DeviceView['priority']> = { '10': 'high', '5': 'normal', '1': 'low' };

/** What the device gets from an accepted push; only an `alert` push is shown by iOS itself. */
export function apnsDeviceView(
  headers: Record<string, string>,
  pushType: PushType,
  payload: Record<string, unknown>,
): DeviceView {
  const collapseKey = headers['apns-collapse-id'];
  return {
    priority: PRIORITY[headers['apns-priority'] ?? '10'] ?? 'high',
    ...(collapseKey === undefined ? {} : { collapseKey }),
    ...(pushType === 'alert' ? { notification: shown(payload.aps as Record<string, unknown>) } : {}),
  };
}

/** The alert as iOS shows it, a bare string being the body; `checkAlertAps` has made sure of the types. */
function shown(aps: Record<string, unknown>): ShownNotification {
  const alert = (typeof aps.alert === 'string' ? { body: aps.alert } : (aps.alert ?? {})) as Record<string, unknown>;
  const text = (key: string) => alert[key] as string | undefined;
  return shownNotification({
    title: text('title'),
    body: text('body'),
    titleLocKey: text('title-loc-key'),
    locKey: text('loc-key'),
    locArgs: alert['loc-args'] as string[] | undefined,
    sound: aps.sound !== undefined,
  });
}
