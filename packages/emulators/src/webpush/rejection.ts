/**
 * A push request the service refuses: the status RFC 8030/8292 prescribe, plus a machine-readable `reason`
 * and a message for the JSON body. Real services add bodies of their own shape that clients must not rely
 * on (docs/providers.md#webpush-status); these ones exist so tests and humans can tell refusals apart.
 */
export class WebPushRejection extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}
