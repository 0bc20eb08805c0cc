import { describe, expect, it } from 'vitest';
import { assertCanGrant, coversPattern } from './grants';
import { Principal } from './principal';
import { Scope } from './scopes';

const principal = (scopes: Scope[], models: string[]): Principal => ({
  type: 'api_key',
  id: 'caller',
  name: 'caller',
  scopes,
  models,
});

describe('coversPattern', () => {
  it.each([
    [['*'], 'anything-*', true],
    [['iris'], 'iris', true],
    [['iris'], 'iris*', false],
    [['iris'], '*', false],
    [['fraud-*'], 'fraud-eu', true],
    [['fraud-*'], 'fraud-eu-*', true],
    [['fraud-*'], 'fraud*', false],
    [['fraud-*'], 'fraud-?', true],
    [['fraud-?'], 'fraud-a', true],
    [['fraud-?'], 'fraud-?', true],
    [['fraud-?'], 'fraud-*', false],
    [['f*d'], 'fraud', true],
    [['f*d'], 'f*d-*', false],
    [['iris', 'mlp'], 'mlp', true],
  ])('should tell whether %j covers %s', (allowList, pattern, expected) => {
    expect(coversPattern(allowList, pattern)).toBe(expected);
  });
});

describe('assertCanGrant', () => {
  const admin = principal([Scope.KeysManage, Scope.ModelsRead], ['iris']);

  it('should let the bootstrap and the CLI grant anything', () => {
    expect(() => assertCanGrant(undefined, { scopes: [Scope.UsageAdmin], models: ['*'] })).not.toThrow();
  });

  it('should refuse scopes or models beyond the issuer, for new and for existing credentials', () => {
    expect(() => assertCanGrant(admin, { scopes: [Scope.ModelsRead], models: ['iris'] })).not.toThrow();
    expect(() => assertCanGrant(admin, { scopes: [Scope.ModelsManage], models: ['iris'] })).toThrow(
      /scopes you do not hold/,
    );
    expect(() => assertCanGrant(admin, { scopes: [Scope.ModelsRead], models: ['*'] })).toThrow(
      /outside your own allow-list/,
    );
    const target = { scopes: [Scope.ModelsRead, Scope.UsageAdmin], models: ['*'] };
    expect(() => assertCanGrant(admin, { scopes: [Scope.ModelsRead], models: ['iris'] }, target)).toThrow(
      /holds scopes you do not hold \(usage:admin\) and models outside your allow-list \(\*\)/,
    );
  });
});
