/**
 * An error from the gateway: an HTTP error response (`status` is the HTTP status, `code`, `message` and
 * `field` come from its `{"error":{…}}` body), or an active-connection failure (`status` 0, `closeCode` set).
 */
export class CallPushError extends Error {
  override readonly name = 'CallPushError';

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly closeCode?: number,
  ) {
    super(message);
  }
}

/** Builds the error of a failed response from the gateway's error body, whatever shape it came in. */
export async function errorOf(response: Response): Promise<CallPushError> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const error =
    typeof body === 'object' && body !== null ? (body as { error?: Record<string, unknown> }).error : undefined;
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return new CallPushError(
    response.status,
    text(error?.code) ?? `http_${response.status}`,
    text(error?.message) ?? `the gateway answered ${response.status}`,
    text(error?.field),
  );
}
