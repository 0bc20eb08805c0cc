import { crc32 } from 'node:zlib';
import { randomBase62, toBase62 } from '../common/secrets';

/**
 * `mg_<env>_<id>_<secret><checksum>`: a recognisable prefix (secret scanners can match it), a public
 * id used for lookup, 32 base62 characters of secret (~190 bits) and a 6-character CRC32 checksum of
 * everything before it, so that a leaked or mistyped key is recognised without a database lookup.
 */
const KEY_PATTERN = /^mg_(live|test)_([0-9A-Za-z]{12})_([0-9A-Za-z]{32})([0-9A-Za-z]{6})$/;
const SECRET_LENGTH = 32;


export function newPublicId(): string {
  return randomBase62(12);
}

function checksum(body: string): string {
  return toBase62(crc32(body), 6);
}

export function formatApiKey(environment: string, publicId: string): { key: string; prefix: string } {
  const prefix = `mg_${environment}_${publicId}`;
  const body = `${prefix}_${randomBase62(SECRET_LENGTH)}`;
  return { key: `${body}${checksum(body)}`, prefix };
}

/** A presented key's parts, before its checksum is checked. */
export interface MatchedApiKey {
  publicId: string;
  /** `mg_<env>_<id>`: safe to show and log. */
  prefix: string;
  secret: string;
  sum: string;
}

/** Splits a presented key into its parts; undefined when it does not have the format (checksum unchecked). */
export function matchApiKey(key: string): MatchedApiKey | undefined {
  const match = KEY_PATTERN.exec(key);
  if (!match) return undefined;
  const [, environment, publicId, secret, sum] = match;
  return { publicId, prefix: `mg_${environment}_${publicId}`, secret, sum };
}

export function checksumValid(key: MatchedApiKey): boolean {
  return checksum(`${key.prefix}_${key.secret}`) === key.sum;
}
