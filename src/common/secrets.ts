import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Uniformly random base62 text (rejection sampling: no modulo bias). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}

export function toBase62(value: number, width: number): string {
  let out = '';
  let rest = value >>> 0;
  for (let i = 0; i < width; i++) {
    out = BASE62[rest % 62] + out;
    rest = Math.floor(rest / 62);
  }
  return out;
}

/**
 * SHA-256, hex. Credentials here are high-entropy random strings, so a fast hash is appropriate (the
 * one-shot `hash` costs about half of `createHash().update().digest()`, on every API-key request).
 */
export function sha256(value: string): string {
  return hash('sha256', value, 'hex');
}

/** SHA-256 as bytes (for digestBytesEqual against a digest decoded once). */
export function sha256Bytes(value: string): Buffer {
  return hash('sha256', value, 'buffer');
}

/** Constant-time comparison of two digests as bytes. */
export function digestBytesEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b);
}

/** Constant-time comparison of two hex digests. */
export function digestsEqual(a: string, b: string): boolean {
  return digestBytesEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
}
