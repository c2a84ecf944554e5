import { InvalidInput } from '#kernel';

const MAX_TOKEN_BYTES = 4096;

/** Every provider's tokens: bounded, so a registration cannot store an arbitrarily large blob. */
export function checkTokenSize(token: string): void {
  if (Buffer.byteLength(token) > MAX_TOKEN_BYTES) {
    throw new InvalidInput('invalid_token', `token must be at most ${MAX_TOKEN_BYTES} bytes`, 'token');
  }
}

/** Opaque registration tokens (FCM, HMS): printable ASCII without spaces. */
export function checkOpaqueToken(token: string): void {
  checkTokenSize(token);
  if (!/^[\x21-\x7e]+$/.test(token)) {
    throw new InvalidInput('invalid_token', 'token must be printable ASCII without spaces', 'token');
  }
}
