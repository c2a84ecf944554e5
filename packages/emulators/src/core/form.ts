/** An `application/x-www-form-urlencoded` body as OAuth token endpoints read it (RFC 6749 §3.2). */
export interface FormBody {
  /** Parameters sent with a non-empty value (an empty value counts as omitted). */
  params: Map<string, string>;
  /** The first parameter sent more than once, which RFC 6749 forbids. */
  repeated?: string;
}

export function parseForm(body: Buffer): FormBody {
  const params = new Map<string, string>();
  const seen = new Set<string>();
  let repeated: string | undefined;
  for (const [name, value] of new URLSearchParams(body.toString('utf8'))) {
    if (seen.has(name)) repeated ??= name;
    seen.add(name);
    if (value !== '') params.set(name, value);
  }
  return repeated === undefined ? { params } : { params, repeated };
}

/** Whether a Content-Type header names the form encoding (parameters such as charset allowed). */
export function isFormContentType(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() === 'application/x-www-form-urlencoded';
}
