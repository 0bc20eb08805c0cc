/** Every scope a credential may carry (docs/API.md, "Credentials and scopes"). */
export enum Scope {
  ModelsRead = 'models:read',
  ModelsInfer = 'models:infer',
  UsageRead = 'usage:read',
  KeysManage = 'keys:manage',
  ClientsManage = 'clients:manage',
  ModelsManage = 'models:manage',
  UsageAdmin = 'usage:admin',
  AuditRead = 'audit:read',
}

export const ALL_SCOPES: readonly Scope[] = Object.values(Scope);

export function isScope(value: string): value is Scope {
  return (ALL_SCOPES as readonly string[]).includes(value);
}
