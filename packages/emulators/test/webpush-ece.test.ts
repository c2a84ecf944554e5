import { createCipheriv, createECDH } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  decryptAes128gcm,
  deriveContentKeys,
  EceError,
  parseAes128gcmHeader,
  type UaKeys,
} from '../src/webpush/index.js';

/** The RFC 8291 Appendix A test vector. */
const V = {
  plaintext: 'When I grow up, I want to be a watermelon',
  asPublic: 'BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8',
  uaPublic: 'BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4',
  uaPrivate: 'q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94',
  salt: 'DGv6ra1nlYgDCS1FRnbzlw',
  authSecret: 'BTBZMqHH6r4Tts7J_aSIgg',
  ikm: 'S4lYMb_L0FxCeq0WhDx813KgSYqU26kOyzWUdsXYyrg',
  cek: 'oIhVW04MRdy2XN9CiKLxTg',
  nonce: '4h_95klXJ5E_qnoN',
  body: 'DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN',
};

const b64 = (value: string) => Buffer.from(value, 'base64url');
const vectorUa: UaKeys = { privateKey: b64(V.uaPrivate), publicKey: b64(V.uaPublic), authSecret: b64(V.authSecret) };

/**
 * Sender-side encryption for crafting bodies. ECDH is symmetric, so the receiver's derivation gives the
 * sender's key and nonce; the first test proves this reproduces the RFC body byte for byte.
 */
function encrypt(
  ua: UaKeys,
  record: Buffer,
  { salt = b64(V.salt), asPublic = b64(V.asPublic), rs = 4096 }: { salt?: Buffer; asPublic?: Buffer; rs?: number } = {},
): Buffer {
  const { cek, nonce } = deriveContentKeys(ua, asPublic, salt);
  const cipher = createCipheriv('aes-128-gcm', cek, nonce);
  const sealed = Buffer.concat([cipher.update(record), cipher.final(), cipher.getAuthTag()]);
  const header = Buffer.alloc(21);
  salt.copy(header);
  header.writeUInt32BE(rs, 16);
  header[20] = asPublic.length;
  return Buffer.concat([header, asPublic, sealed]);
}

/** A copy of `body` with one bit of byte `at` flipped. */
function flipByte(body: Buffer, at: number): Buffer {
  const copy = Buffer.from(body);
  copy[at]! ^= 1;
  return copy;
}

const padded = (text: string, tail: number[] = [2]) => Buffer.concat([Buffer.from(text), Buffer.from(tail)]);

function freshUa(): UaKeys {
  const ecdh = createECDH('prime256v1');
  const publicKey = ecdh.generateKeys();
  return { privateKey: ecdh.getPrivateKey(), publicKey, authSecret: Buffer.alloc(16, 7) };
}

describe('aes128gcm decryption (RFC 8188 / RFC 8291)', () => {
  it('derives the Appendix A IKM, CEK and NONCE', () => {
    const keys = deriveContentKeys(vectorUa, b64(V.asPublic), b64(V.salt));
    expect(keys.ikm.toString('base64url')).toBe(V.ikm);
    expect(keys.cek.toString('hex')).toBe('a088555b4e0c45dcb65cdf4288a2f14e');
    expect(keys.cek.toString('base64url')).toBe(V.cek);
    expect(keys.nonce.toString('hex')).toBe('e21ffde6495727913faa7a0d');
    expect(keys.nonce.toString('base64url')).toBe(V.nonce);
  });

  it('parses the Appendix A header and decrypts its 144-byte body to the exact plaintext', () => {
    const body = b64(V.body);
    expect(body).toHaveLength(144);
    const header = parseAes128gcmHeader(body);
    expect(header.salt.toString('base64url')).toBe(V.salt);
    expect(header.recordSize).toBe(4096);
    expect(header.keyId.toString('base64url')).toBe(V.asPublic);
    expect(decryptAes128gcm(body, vectorUa).toString('utf8')).toBe(V.plaintext);
  });

  it('reproduces the Appendix A body with the test encryptor', () => {
    expect(encrypt(vectorUa, padded(V.plaintext)).toString('base64url')).toBe(V.body);
  });

  it('strips zero padding after the delimiter and accepts an empty message', () => {
    expect(decryptAes128gcm(encrypt(vectorUa, padded('hi', [2, 0, 0, 0])), vectorUa).toString()).toBe('hi');
    expect(decryptAes128gcm(encrypt(vectorUa, padded('')), vectorUa)).toHaveLength(0);
  });

  it.each<[string, () => Buffer, RegExp]>([
    ['a tampered ciphertext', () => flipByte(b64(V.body), 100), /decryption failed/],
    ['the wrong subscription keys', () => encrypt(freshUa(), padded('x')), /decryption failed/],
    ['a non-last-record delimiter (0x01)', () => encrypt(vectorUa, padded('x', [1])), /0x02 delimiter/],
    ['no delimiter at all', () => encrypt(vectorUa, Buffer.from([0, 0])), /0x02 delimiter/],
    ['more than one record', () => encrypt(vectorUa, padded('x'.repeat(40)), { rs: 40 }), /single record/],
    ['a record size below 18', () => encrypt(vectorUa, padded('x'), { rs: 17 }), /minimum of 18/],
    ['a keyid that is not 65 bytes', () => Buffer.from(b64(V.body)).fill(64, 20, 21), /idlen is 64/],
    ['a keyid off the curve', () => encrypt(vectorUa, padded('x'), { asPublic: Buffer.alloc(65, 4) }), /not a point/],
    ['a truncated header', () => b64(V.body).subarray(0, 50), /shorter than the aes128gcm header/],
  ])('refuses %s', (_name, body, message) => {
    expect(() => decryptAes128gcm(body(), vectorUa)).toThrow(EceError);
    expect(() => decryptAes128gcm(body(), vectorUa)).toThrow(message);
  });
});
