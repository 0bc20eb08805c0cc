import { describe, expect, it } from 'vitest';
import { ConfigValidationError } from './config.errors';
import { configurationVariables, loadConfiguration } from './configuration';

const problemsOf = (env: Record<string, string>) => {
  try {
    loadConfiguration(env);
  } catch (error) {
    return (error as ConfigValidationError).problems;
  }
  return [];
};

const VALID = {
  SSO_ISSUER: 'https://login.example.com/realms/acme/',
  SSO_CLIENT_ID: 'modelgate',
  SSO_CLIENT_SECRET: 's3cret',
  SSO_ROLE_SCOPES: '{"ml-admins":["keys:manage","models:manage","keys:manage"],"viewers":["models:read"]}',
};

describe('SSO settings', () => {
  it('should leave SSO off without SSO_CLIENT_ID, with the session default', () => {
    const { sso } = loadConfiguration({ SSO_ISSUER: 'https://login.example.com' });
    expect(sso.provider).toBeUndefined();
    expect(sso.sessionTtlSeconds).toBe(28_800);
  });

  it('should read a provider by its issuer, with the defaults', () => {
    const { sso } = loadConfiguration(VALID);
    expect(sso.provider).toEqual({
      issuer: 'https://login.example.com/realms/acme',
      authorizationUrl: undefined,
      tokenUrl: undefined,
      userinfoUrl: undefined,
      clientId: 'modelgate',
      clientSecret: 's3cret',
      scopes: ['openid', 'profile', 'email'],
      rolesClaim: 'groups',
      roleScopes: { 'ml-admins': ['keys:manage', 'models:manage'], viewers: ['models:read'] },
    });
  });

  it('should take the three URLs instead of an issuer, and other scopes and claims', () => {
    const { sso } = loadConfiguration({
      ...VALID,
      SSO_ISSUER: '',
      SSO_AUTHORIZATION_URL: 'https://idp.example.com/authorize',
      SSO_TOKEN_URL: 'https://idp.example.com/token',
      SSO_USERINFO_URL: 'https://idp.example.com/userinfo',
      SSO_SCOPES: ' read:user  read:org ',
      SSO_ROLES_CLAIM: 'realm_access.roles',
      SESSION_TTL_SECONDS: '3600',
    });
    expect(sso.provider).toMatchObject({
      issuer: undefined,
      authorizationUrl: 'https://idp.example.com/authorize',
      scopes: ['read:user', 'read:org'],
      rolesClaim: 'realm_access.roles',
    });
    expect(sso.sessionTtlSeconds).toBe(3600);
  });

  it('should name every bad SSO setting at start-up', () => {
    expect(problemsOf({ SSO_CLIENT_ID: 'modelgate' })).toEqual([
      'SSO_CLIENT_SECRET: required when SSO_CLIENT_ID is set',
      'SSO_AUTHORIZATION_URL, SSO_TOKEN_URL, SSO_USERINFO_URL: required when SSO_ISSUER is not set',
      'SSO_ROLE_SCOPES: required when SSO_CLIENT_ID is set (no group would grant any scope)',
    ]);
    expect(problemsOf({ ...VALID, SSO_ROLE_SCOPES: '{nope' })).toEqual(['SSO_ROLE_SCOPES: not valid JSON']);
    expect(problemsOf({ ...VALID, SSO_ROLE_SCOPES: '["keys:manage"]' })[0]).toMatch(/^SSO_ROLE_SCOPES: a JSON object/);
    expect(problemsOf({ ...VALID, SSO_ROLE_SCOPES: '{}' })).toEqual(['SSO_ROLE_SCOPES: map at least one group']);
    expect(problemsOf({ ...VALID, SSO_ROLE_SCOPES: '{"a":"keys:manage"}' })[0]).toMatch(/must be an array of strings/);
    expect(problemsOf({ ...VALID, SSO_ROLE_SCOPES: '{"a":["keys:manage","root"]}' })).toEqual([
      'SSO_ROLE_SCOPES: unknown scope "root"',
    ]);
    expect(problemsOf({ ...VALID, SSO_ISSUER: 'not a url' })[0]).toMatch(/^SSO_ISSUER: /);
    expect(problemsOf({ ...VALID, SSO_ROLES_CLAIM: 'a..b' })[0]).toMatch(/^SSO_ROLES_CLAIM: /);
    expect(problemsOf({ SESSION_TTL_SECONDS: '10' })[0]).toMatch(/^SESSION_TTL_SECONDS: /);
  });

  it('should list the SSO settings among the variables (each also from a file)', () => {
    for (const name of ['SSO_ISSUER', 'SSO_CLIENT_ID', 'SSO_CLIENT_SECRET', 'SSO_ROLE_SCOPES', 'SESSION_TTL_SECONDS'])
      expect(configurationVariables()).toContain(name);
  });
});
