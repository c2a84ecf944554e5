/**
 * What a device gets from one accepted message, the same shape for every provider, so a test can check a
 * notice's text, priority and collapse key without knowing each provider's wire format.
 */
export interface DeviceView {
  /**
   * `high`: delivered at once, waking the device (APNs 10, FCM/HMS HIGH, Web Push `high`); `normal`: may wait
   * for a power-friendly moment (APNs 5, FCM/HMS NORMAL, Web Push `normal`); `low`: APNs 1, Web Push `low` or
   * `very-low`.
   */
  priority: 'high' | 'normal' | 'low';
  /**
   * What a later message replaces this one by while it is still queued: `apns-collapse-id`, FCM
   * `android.collapse_key`, an HMS `collapse_key` from 0 to 100, Web Push `Topic`. Absent: none.
   */
  collapseKey?: string;
  /**
   * The notification the system shows by itself, without the app's code: an APNs `alert` push's `aps.alert`,
   * an FCM or HMS notification block, a declarative Web Push message's `notification`. Absent: a data or VoIP
   * message (the app decides what to show), or any other Web Push message (the service worker does). Each field
   * only when the message has it.
   */
  notification?: ShownNotification;
  /**
   * Web Push only: why a payload that says it is a declarative push message (`"web_push": 8030`) does not parse
   * as one, so the browser shows nothing by itself.
   */
  declarativeError?: string;
}

export interface ShownNotification {
  title?: string;
  body?: string;
  /** APNs `title-loc-key`, FCM/HMS `title_loc_key`. */
  titleLocKey?: string;
  /** APNs `loc-key`, FCM/HMS `body_loc_key`. */
  locKey?: string;
  /** APNs `loc-args`, FCM/HMS `body_loc_args`. */
  locArgs?: string[];
  /** FCM/HMS `tag`: a later notification with the same tag replaces this one on screen. */
  tag?: string;
  /** Whether the message asks for a sound (APNs `aps.sound`, FCM/HMS `sound` or `default_sound`). */
  sound: boolean;
}

/** The fields a message carried, leaving out those it did not (so the inspection API shows no nulls). */
export function shownNotification(f: ShownNotification): ShownNotification {
  return {
    ...(f.title === undefined ? {} : { title: f.title }),
    ...(f.body === undefined ? {} : { body: f.body }),
    ...(f.titleLocKey === undefined ? {} : { titleLocKey: f.titleLocKey }),
    ...(f.locKey === undefined ? {} : { locKey: f.locKey }),
    ...(f.locArgs === undefined ? {} : { locArgs: f.locArgs }),
    ...(f.tag === undefined ? {} : { tag: f.tag }),
    sound: f.sound,
  };
}

/** The notification of an FCM or HMS Android message: both name its fields alike. */
export function androidNotificationView(fields: Record<string, unknown>): ShownNotification {
  const text = (key: string) => (typeof fields[key] === 'string' ? (fields[key] as string) : undefined);
  return shownNotification({
    title: text('title'),
    body: text('body'),
    titleLocKey: text('title_loc_key'),
    locKey: text('body_loc_key'),
    locArgs: fields.body_loc_args as string[] | undefined,
    tag: text('tag'),
    sound: fields.sound !== undefined || fields.default_sound === true,
  });
}
