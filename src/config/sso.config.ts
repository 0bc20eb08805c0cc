import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, IsUrl, Max, Min } from 'class-validator';
import { isScope, Scope } from '../identity/scopes';
import { toInteger } from './env';

const URL_OPTIONS = { require_tld: false, protocols: ['http', 'https'], require_protocol: true };

/** Admin sign-in through the organisation's OAuth 2.0 / OpenID Connect provider (docs/API.md, "Admin sign-in"). */
export class SsoEnv {
  /** The provider's issuer: its three URLs (and its JWKS, to verify ID tokens) are discovered from it. */
  @IsOptional()
  @IsUrl(URL_OPTIONS)
  SSO_ISSUER?: string;

  /** The provider's authorization endpoint (overrides the discovered one). */
  @IsOptional()
  @IsUrl(URL_OPTIONS)
  SSO_AUTHORIZATION_URL?: string;

  @IsOptional()
  @IsUrl(URL_OPTIONS)
  SSO_TOKEN_URL?: string;

  @IsOptional()
  @IsUrl(URL_OPTIONS)
  SSO_USERINFO_URL?: string;

  /** The platform's client id at the provider: SSO is off unless it is set. */
  @IsOptional()
  @IsString()
  SSO_CLIENT_ID?: string;

  @IsOptional()
  @IsString()
  SSO_CLIENT_SECRET?: string;

  /** Scopes asked of the provider, space-separated; with `openid`, an ID token and a `nonce`. */
  @IsString()
  SSO_SCOPES = 'openid profile email';

  /** The userinfo / ID-token claim holding the user's groups; a dotted path reaches a nested one (`realm_access.roles`). */
  @IsString()
  SSO_ROLES_CLAIM = 'groups';

  /** JSON: each group to the scopes its members get, e.g. `{"ml-admins":["keys:manage","models:manage"]}`. */
  @IsOptional()
  @IsString()
  SSO_ROLE_SCOPES?: string;

  /** How long a session lasts from sign-in. */
  @Transform(toInteger)
  @IsInt()
  @Min(60)
  @Max(30 * 86_400)
  SESSION_TTL_SECONDS = 28_800;
}

export interface SsoProviderConfig {
  issuer?: string;
  authorizationUrl?: string;
  tokenUrl?: string;
  userinfoUrl?: string;
  clientId: string;
  clientSecret: string;
  scopes: string[];
  rolesClaim: string;
  roleScopes: Record<string, Scope[]>;
}

export interface SsoConfig {
  /** Undefined: SSO is off (`/auth/sso/*` answer 404). */
  provider?: SsoProviderConfig;
  sessionTtlSeconds: number;
}

export function toSsoConfig(env: SsoEnv, problems: string[]): SsoConfig {
  const sessionTtlSeconds = env.SESSION_TTL_SECONDS;
  if (!env.SSO_CLIENT_ID) return { sessionTtlSeconds };
  if (!env.SSO_CLIENT_SECRET) problems.push('SSO_CLIENT_SECRET: required when SSO_CLIENT_ID is set');
  if (!env.SSO_ISSUER) {
    const missing = ['SSO_AUTHORIZATION_URL', 'SSO_TOKEN_URL', 'SSO_USERINFO_URL'].filter(
      (name) => !env[name as keyof SsoEnv],
    );
    if (missing.length > 0) problems.push(`${missing.join(', ')}: required when SSO_ISSUER is not set`);
  }
  const scopes = env.SSO_SCOPES.split(/\s+/).filter(Boolean);
  if (scopes.length === 0) problems.push('SSO_SCOPES: name at least one scope');
  if (!/^[A-Za-z0-9_:-]+(\.[A-Za-z0-9_:-]+)*$/.test(env.SSO_ROLES_CLAIM)) {
    problems.push(`SSO_ROLES_CLAIM: a claim name or a dotted path (received ${JSON.stringify(env.SSO_ROLES_CLAIM)})`);
  }
  return {
    sessionTtlSeconds,
    provider: {
      issuer: env.SSO_ISSUER?.replace(/\/+$/, ''),
      authorizationUrl: env.SSO_AUTHORIZATION_URL,
      tokenUrl: env.SSO_TOKEN_URL,
      userinfoUrl: env.SSO_USERINFO_URL,
      clientId: env.SSO_CLIENT_ID,
      clientSecret: env.SSO_CLIENT_SECRET ?? '',
      scopes,
      rolesClaim: env.SSO_ROLES_CLAIM,
      roleScopes: parseRoleScopes(env.SSO_ROLE_SCOPES, problems),
    },
  };
}

/** `SSO_ROLE_SCOPES`: a JSON object of group names to arrays of known scopes, at least one group. */
function parseRoleScopes(value: string | undefined, problems: string[]): Record<string, Scope[]> {
  const problem = (detail: string) => {
    problems.push(`SSO_ROLE_SCOPES: ${detail}`);
    return {};
  };
  if (value === undefined) return problem('required when SSO_CLIENT_ID is set (no group would grant any scope)');
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return problem('not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return problem('a JSON object of group names to arrays of scopes, e.g. {"ml-admins":["keys:manage"]}');
  }
  const entries = Object.entries(parsed as Record<string, unknown>);
  if (entries.length === 0) return problem('map at least one group');
  const mapping: Record<string, Scope[]> = {};
  for (const [group, scopes] of entries) {
    if (!Array.isArray(scopes) || !scopes.every((scope): scope is string => typeof scope === 'string')) {
      return problem(`the scopes of ${JSON.stringify(group)} must be an array of strings`);
    }
    const unknown = scopes.filter((scope) => !isScope(scope));
    if (unknown.length > 0) return problem(`unknown scope ${unknown.map((s) => JSON.stringify(s)).join(', ')}`);
    mapping[group] = [...new Set(scopes as Scope[])];
  }
  return mapping;
}
