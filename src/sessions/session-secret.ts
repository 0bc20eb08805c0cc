import { createHmac, timingSafeEqual } from 'node:crypto';
import { randomBase62 } from '../common/secrets';

export const SESSION_COOKIE = 'mg_session';

/** A session cookie's value: 43 base62 characters (256 bits). */
const SECRET = /^[0-9A-Za-z]{43}$/;

export function newSessionSecret(): string {
  return randomBase62(43);
}

export function isSessionSecret(value: string): boolean {
  return SECRET.test(value);
}

/**
 * The session's CSRF token: an HMAC of the cookie's secret, so that only who holds the secret (the
 * server, and the browser that cannot read its HttpOnly cookie but is given the token by
 * `GET /auth/session`) knows it, and nothing needs storing.
 */
export function csrfTokenOf(secret: string): string {
  return createHmac('sha256', secret).update('modelgate csrf token').digest('base64url');
}

export function csrfTokenMatches(secret: string, presented: string | string[] | undefined): boolean {
  if (typeof presented !== 'string') return false;
  const expected = Buffer.from(csrfTokenOf(secret));
  const given = Buffer.from(presented);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** The value of one cookie in a `Cookie` header (the first one of that name, as browsers order them). */
export function cookieValue(header: string | string[] | undefined, name: string): string | undefined {
  const text = Array.isArray(header) ? header.join('; ') : header;
  if (!text) return undefined;
  for (const part of text.split(';')) {
    const separator = part.indexOf('=');
    if (separator < 0) continue;
    if (part.slice(0, separator).trim() === name) return part.slice(separator + 1).trim();
  }
  return undefined;
}

export interface CookieOptions {
  path: string;
  maxAgeSeconds: number;
  secure: boolean;
}

/** A `Set-Cookie` value: always HttpOnly and SameSite=Lax; Max-Age 0 deletes it. */
export function serializeCookie(name: string, value: string, options: CookieOptions): string {
  return [
    `${name}=${value}`,
    `Path=${options.path}`,
    `Max-Age=${options.maxAgeSeconds}`,
    'HttpOnly',
    'SameSite=Lax',
    ...(options.secure ? ['Secure'] : []),
  ].join('; ');
}
