import { Scope } from '../identity/scopes';

/**
 * The user's groups from their claims: `claim` names a claim or a dotted path to a nested one (Keycloak's
 * `realm_access.roles`); its value an array of strings, or one string.
 */
export function groupsOf(claims: Record<string, unknown>, claim: string): string[] {
  let value: unknown = claims;
  for (const part of claim.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
    value = (value as Record<string, unknown>)[part];
  }
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) return [];
  return value.filter((group): group is string => typeof group === 'string');
}

/** The scopes the groups map to (SSO_ROLE_SCOPES), each once, in the platform's order. */
export function scopesOfGroups(groups: readonly string[], mapping: Record<string, readonly Scope[]>): Scope[] {
  const granted = new Set<Scope>();
  for (const group of groups) {
    if (Object.hasOwn(mapping, group)) for (const scope of mapping[group]) granted.add(scope);
  }
  return Object.values(Scope).filter((scope) => granted.has(scope));
}
