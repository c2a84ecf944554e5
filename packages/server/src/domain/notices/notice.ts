/** One registered device a notice may go to, by the registration it is sent on (its alert one, if it has one). */
export interface NoticeDevice {
  userId: string;
  deviceId: string;
  /** The name of the provider credential the token belongs to. */
  provider: string;
  /** Its type: fcm, hms, apns or webpush. */
  providerType: string;
  token: string;
  kind: 'voip' | 'alert';
}

/** Where a notice finds its recipients' devices. */
export interface NoticeDevices {
  devicesOf(appKey: string, userId: string): Promise<NoticeDevice[]>;
}

/** A one-off push to every device of some users of an app: not a call, nothing rings. */
export interface Notice {
  appKey: string;
  /** The recipients' user ids. */
  to: string[];
  /** What the notice is, as the `type` label of the delivery metrics shows it (`chat`). */
  type: string;
  /** Provider collapse key / topic: unique per notice, so one never replaces another still queued. */
  collapseId: string;
  /** Epoch ms after which it is not worth delivering: TTLs are taken from it, no retry goes past it. */
  deadline: number;
  /**
   * The data map one recipient's devices get on FCM and HMS. Asked per recipient and attempt: it may carry
   * per-user material fetched from elsewhere (a Kaleyra SDK token); a rejection is retried like a provider's.
   */
  dataFor(userId: string): Promise<Record<string, string>>;
}
