import { describe, expect, it } from 'vitest';
import { DomainError } from '../common/errors/domain.error';
import { userOf, verifiedClaims } from './claims';

describe(userOf.name, () => {
  it('should name the user by name, else preferred_username, else email, else sub', () => {
    expect(userOf({ sub: 's', name: 'Ann', email: 'a@x.org' })).toEqual({ id: 's', name: 'Ann', email: 'a@x.org' });
    expect(userOf({ sub: 's', preferred_username: 'ann', email: 'a@x.org' }).name).toBe('ann');
    expect(userOf({ sub: 's', email: 'a@x.org' }).name).toBe('a@x.org');
    expect(userOf({ sub: 's', name: '' })).toEqual({ id: 's', name: 's', email: undefined });
    expect(userOf({ sub: 's', name: 'n'.repeat(300) }).name).toHaveLength(200);
  });

  it('should drop an email that is not one', () => {
    expect(userOf({ sub: 's', email: 'nope' }).email).toBeUndefined();
    expect(userOf({ sub: 's', email: 42 }).email).toBeUndefined();
  });

  it('should refuse a missing, empty, non-string or over-long subject', () => {
    for (const sub of [undefined, '', 42, 's'.repeat(101)]) {
      expect(() => userOf({ sub }), String(sub)).toThrow(DomainError);
    }
  });
});

describe(verifiedClaims.name, () => {
  const endpoints = {
    authorizationUrl: 'https://idp/authorize',
    tokenUrl: 'https://idp/token',
    verifyIdToken: (token: string) => Promise.resolve({ sub: 'u1', nonce: token, groups: ['a'] }),
  };

  it('should merge the ID token claims and userinfo about the same subject', async () => {
    await expect(
      verifiedClaims(endpoints, 'n1', { idToken: 'n1', userinfo: { sub: 'u1', name: 'U' } }),
    ).resolves.toEqual({ sub: 'u1', nonce: 'n1', groups: ['a'], name: 'U' });
  });

  it('should refuse no ID token, another nonce, or userinfo about someone else', async () => {
    await expect(verifiedClaims(endpoints, 'n1', { userinfo: {} })).rejects.toThrow(/no ID token/);
    await expect(verifiedClaims(endpoints, 'n1', { idToken: 'n2', userinfo: {} })).rejects.toThrow(/nonce/);
    await expect(verifiedClaims(endpoints, 'n1', { idToken: 'n1', userinfo: { sub: 'u2' } })).rejects.toThrow(
      /another user/,
    );
    const failing = { ...endpoints, verifyIdToken: () => Promise.reject(new Error('bad signature')) };
    await expect(verifiedClaims(failing, 'n1', { idToken: 'x', userinfo: {} })).rejects.toThrow(/does not verify/);
  });

  it('should use userinfo alone without openid (no nonce) or without a known issuer', async () => {
    await expect(verifiedClaims(endpoints, undefined, { userinfo: { sub: 'u' } })).resolves.toEqual({ sub: 'u' });
    const { verifyIdToken: _none, ...plain } = endpoints;
    await expect(verifiedClaims(plain, 'n1', { idToken: 'x', userinfo: { sub: 'u' } })).resolves.toEqual({ sub: 'u' });
  });
});
