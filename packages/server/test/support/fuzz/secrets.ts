/**
 * Finds secrets in text (logs, answers) however they were written: raw, JSON-escaped, URL-encoded, in base64 or
 * base64url at any byte alignment (inside a Basic header, a logged Buffer), or as a JSON byte array (how pino
 * writes a Buffer such as Fastify's `rawPacket`).
 */
export interface Needle {
  /** Which secret, for the report (never the secret itself). */
  name: string;
  encoding: string;
  text: string;
}

/** Long enough to mean that secret and nothing else. */
const MIN_NEEDLE = 12;

/**
 * The base64 of `bytes` as it appears inside the base64 of a longer buffer that holds them at any offset: the
 * characters that depend only on these bytes, for each of the three alignments.
 */
function embeddedBase64(bytes: Buffer, url: boolean): string[] {
  const out: string[] = [];
  for (let shift = 0; shift < 3; shift++) {
    const padded = Buffer.concat([Buffer.alloc(shift), bytes]);
    let text = padded.toString(url ? 'base64url' : 'base64').replace(/=+$/, '');
    // The first group mixes in the filler bytes, the last may mix in what follows.
    if (shift > 0) text = text.slice(4);
    const whole = Math.floor(padded.length / 3) * 4 - (shift > 0 ? 4 : 0);
    text = text.slice(0, Math.max(0, whole));
    if (text.length >= MIN_NEEDLE) out.push(text);
  }
  return out;
}

/** The forms of one secret to look for; a PEM is looked for line by line (each base64 line is unique to it). */
export function needlesOf(name: string, secret: string): Needle[] {
  const parts = secret.includes('-----BEGIN')
    ? secret.split('\n').filter((l) => l.length >= MIN_NEEDLE && !l.startsWith('-----'))
    : [secret];
  const needles: Needle[] = [];
  for (const part of parts) {
    const bytes = Buffer.from(part, 'utf8');
    const add = (encoding: string, text: string) => {
      if (text.length >= MIN_NEEDLE) needles.push({ name, encoding, text });
    };
    add('raw', part);
    add('json-escaped', JSON.stringify(part).slice(1, -1));
    add('url-encoded', encodeURIComponent(part.toString()));
    for (const t of embeddedBase64(bytes, false)) add('base64', t);
    for (const t of embeddedBase64(bytes, true)) add('base64url', t);
    add('byte array', [...bytes].join(','));
  }
  return needles;
}

/** Every needle found in `text`, with where, for the report. */
export function findSecrets(text: string, needles: Needle[]): Array<{ name: string; encoding: string; at: string }> {
  const found = [];
  for (const n of needles) {
    const i = text.indexOf(n.text);
    if (i < 0) continue;
    const lineStart = text.lastIndexOf('\n', i) + 1;
    // The start of the line, up to the secret: which log line or answer carried it, without the secret itself.
    found.push({ name: n.name, encoding: n.encoding, at: text.slice(lineStart, Math.min(i, lineStart + 300)) });
  }
  return found;
}
