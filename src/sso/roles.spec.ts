import { describe, expect, it } from 'vitest';
import { Scope } from '../identity/scopes';
import { groupsOf, scopesOfGroups } from './roles';

describe(groupsOf.name, () => {
  it('should read an array, a single string, or a nested claim', () => {
    expect(groupsOf({ groups: ['a', 'b'] }, 'groups')).toEqual(['a', 'b']);
    expect(groupsOf({ groups: 'a' }, 'groups')).toEqual(['a']);
    expect(groupsOf({ realm_access: { roles: ['ml-admins'] } }, 'realm_access.roles')).toEqual(['ml-admins']);
  });

  it('should find no group in what is not one', () => {
    expect(groupsOf({}, 'groups')).toEqual([]);
    expect(groupsOf({ groups: 7 }, 'groups')).toEqual([]);
    expect(groupsOf({ groups: [1, 'a', null, { b: 1 }] }, 'groups')).toEqual(['a']);
    expect(groupsOf({ realm_access: ['roles'] }, 'realm_access.roles')).toEqual([]);
    expect(groupsOf({ a: null }, 'a.b')).toEqual([]);
  });
});

describe(scopesOfGroups.name, () => {
  const mapping = {
    admins: [Scope.KeysManage, Scope.ModelsManage],
    viewers: [Scope.ModelsRead, Scope.KeysManage],
  };

  it('should union the scopes of every mapped group, each once, in the platform order', () => {
    expect(scopesOfGroups(['viewers', 'admins', 'other'], mapping)).toEqual([
      Scope.ModelsRead,
      Scope.KeysManage,
      Scope.ModelsManage,
    ]);
  });

  it('should map unmapped groups, and inherited property names, to nothing', () => {
    expect(scopesOfGroups(['other', 'constructor', '__proto__', 'toString'], mapping)).toEqual([]);
    expect(scopesOfGroups([], mapping)).toEqual([]);
  });
});
