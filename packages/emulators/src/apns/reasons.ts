/**
 * The APNs failure reasons this emulator produces and the `:status` Apple pairs with each
 * (docs/providers.md#apns-reasons). Failures answer `{"reason": "<Reason>"}`; 410 adds `timestamp` (epoch ms).
 */
export const APNS_REASON_STATUS = {
  BadCollapseId: 400,
  BadDeviceToken: 400,
  BadExpirationDate: 400,
  BadMessageId: 400,
  BadPriority: 400,
  BadTopic: 400,
  DeviceTokenNotForTopic: 400,
  DuplicateHeaders: 400,
  InvalidPushType: 400,
  MissingDeviceToken: 400,
  MissingTopic: 400,
  PayloadEmpty: 400,
  /** Not in Apple's table: what the emulator answers for a body that is not a JSON object, or an alert push without a usable `aps` (see docs). */
  BadPayload: 400,
  ExpiredProviderToken: 403,
  InvalidProviderToken: 403,
  MissingProviderToken: 403,
  UnrelatedKeyIdInToken: 403,
  BadPath: 404,
  MethodNotAllowed: 405,
  Unregistered: 410,
  PayloadTooLarge: 413,
  TooManyProviderTokenUpdates: 429,
  TooManyRequests: 429,
  InternalServerError: 500,
  ServiceUnavailable: 503,
  Shutdown: 503,
} as const;

export type ApnsReason = keyof typeof APNS_REASON_STATUS;

/** A request APNs would refuse; thrown by the validators and turned into the response by the server. */
export class ApnsRejection extends Error {
  readonly status: number;

  constructor(readonly reason: ApnsReason) {
    super(reason);
    this.status = APNS_REASON_STATUS[reason];
  }
}
