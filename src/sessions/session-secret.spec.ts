import { describe, expect, it } from 'vitest';
import {
  cookieValue,
  csrfTokenMatches,
  csrfTokenOf,
  isSessionSecret,
  newSessionSecret,
  serializeCookie,
} from './session-secret';

describe('session secrets', () => {
  it('should make 43-character base62 secrets, each different', () => {
    const secrets = new Set(Array.from({ length: 100 }, newSessionSecret));
    expect(secrets.size).toBe(100);
    for (const secret of secrets) expect(isSessionSecret(secret)).toBe(true);
    expect(isSessionSecret('short')).toBe(false);
    expect(isSessionSecret(`${'a'.repeat(42)}-`)).toBe(false);
  });

  it('should derive a CSRF token per secret and check it in constant time', () => {
    const secret = newSessionSecret();
    const token = csrfTokenOf(secret);
    expect(token).toBe(csrfTokenOf(secret));
    expect(token).not.toBe(csrfTokenOf(newSessionSecret()));
    expect(token).not.toContain(secret);
    expect(csrfTokenMatches(secret, token)).toBe(true);
    expect(csrfTokenMatches(secret, token.slice(1))).toBe(false);
    expect(csrfTokenMatches(secret, undefined)).toBe(false);
    expect(csrfTokenMatches(secret, [token, token])).toBe(false);
    expect(csrfTokenMatches(secret, 'é'.repeat(43))).toBe(false);
  });

  it('should read one cookie from a Cookie header', () => {
    expect(cookieValue('a=1; mg_session=abc; b=2', 'mg_session')).toBe('abc');
    expect(cookieValue('mg_session=first; mg_session=second', 'mg_session')).toBe('first');
    expect(cookieValue('xmg_session=abc', 'mg_session')).toBeUndefined();
    expect(cookieValue(undefined, 'mg_session')).toBeUndefined();
    expect(cookieValue('garbage', 'mg_session')).toBeUndefined();
  });

  it('should write cookies HttpOnly and SameSite=Lax, Secure when asked', () => {
    expect(serializeCookie('mg_session', 'v', { path: '/', maxAgeSeconds: 60, secure: true })).toBe(
      'mg_session=v; Path=/; Max-Age=60; HttpOnly; SameSite=Lax; Secure',
    );
    expect(serializeCookie('mg_session', '', { path: '/', maxAgeSeconds: 0, secure: false })).toBe(
      'mg_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax',
    );
  });
});
