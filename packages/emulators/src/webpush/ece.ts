import { createDecipheriv, createECDH, hkdfSync } from 'node:crypto';

/**
 * Receiver side of "aes128gcm" content encoding (RFC 8188) as Web Push profiles it (RFC 8291): the push
 * service emulator decrypts what application servers send, with the keys a browser would hold.
 */

/** What the user agent keeps for a subscription. */
export interface UaKeys {
  /** ECDH P-256 private key (big-endian scalar). */
  privateKey: Buffer;
  /** Its uncompressed public point (`p256dh`), 65 bytes. */
  publicKey: Buffer;
  /** The `auth` secret, 16 bytes. */
  authSecret: Buffer;
}

export interface Aes128gcmHeader {
  salt: Buffer;
  recordSize: number;
  /** RFC 8291 puts the sender's ephemeral ECDH public key (`as_public`, 65 bytes) here. */
  keyId: Buffer;
}

export class EceError extends Error {}

const SALT_LENGTH = 16;
const KEY_LENGTH = 65;
/** salt(16) ‖ rs(4) ‖ idlen(1) ‖ keyid(65) */
export const HEADER_LENGTH = SALT_LENGTH + 4 + 1 + KEY_LENGTH;
const TAG_LENGTH = 16;
/** The last-record padding delimiter; 0x01 would announce more records, which Web Push forbids. */
const LAST_RECORD = 0x02;

export function parseAes128gcmHeader(body: Buffer): Aes128gcmHeader {
  if (body.length < SALT_LENGTH + 5) throw new EceError('body shorter than the aes128gcm header');
  const idlen = body[SALT_LENGTH + 4];
  if (idlen !== KEY_LENGTH) throw new EceError(`keyid must be the 65-byte sender public key, idlen is ${idlen}`);
  if (body.length < HEADER_LENGTH) throw new EceError('body shorter than the aes128gcm header');
  const recordSize = body.readUInt32BE(SALT_LENGTH);
  if (recordSize < TAG_LENGTH + 2) throw new EceError(`record size ${recordSize} is below the minimum of 18`);
  return { salt: body.subarray(0, SALT_LENGTH), recordSize, keyId: body.subarray(SALT_LENGTH + 5, HEADER_LENGTH) };
}

function hkdf(ikm: Buffer, salt: Buffer, info: string | Buffer, length: number): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, salt, typeof info === 'string' ? Buffer.from(info) : info, length));
}

/** RFC 8291 §3.3-3.4 and RFC 8188 §2.2-2.3: the input keying material, content-encryption key and nonce. */
export function deriveContentKeys(
  ua: UaKeys,
  senderPublicKey: Buffer,
  salt: Buffer,
): { ikm: Buffer; cek: Buffer; nonce: Buffer } {
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(ua.privateKey);
  let secret: Buffer;
  try {
    secret = ecdh.computeSecret(senderPublicKey);
  } catch {
    throw new EceError('keyid is not a point on P-256');
  }
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), ua.publicKey, senderPublicKey]);
  const ikm = hkdf(secret, ua.authSecret, keyInfo, 32);
  return {
    ikm,
    cek: hkdf(ikm, salt, 'Content-Encoding: aes128gcm\0', 16),
    nonce: hkdf(ikm, salt, 'Content-Encoding: nonce\0', 12),
  };
}

/** Decrypts a whole aes128gcm body (exactly one record) and strips its padding. */
export function decryptAes128gcm(body: Buffer, ua: UaKeys): Buffer {
  const header = parseAes128gcmHeader(body);
  const record = body.subarray(HEADER_LENGTH);
  if (record.length > header.recordSize) throw new EceError('Web Push messages must be a single record');
  if (record.length < TAG_LENGTH + 1) throw new EceError('record shorter than its tag and delimiter');
  const { cek, nonce } = deriveContentKeys(ua, header.keyId, header.salt);
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(record.subarray(record.length - TAG_LENGTH));
  let padded: Buffer;
  try {
    padded = Buffer.concat([decipher.update(record.subarray(0, record.length - TAG_LENGTH)), decipher.final()]);
  } catch {
    throw new EceError('decryption failed: wrong keys or a tampered body');
  }
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (end < 0 || padded[end] !== LAST_RECORD) throw new EceError('the record does not end with the 0x02 delimiter');
  return padded.subarray(0, end);
}
