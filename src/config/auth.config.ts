import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { toBoolean, toInteger } from './env';

export class AuthEnv {
  /** Create and print an admin API key on first start when no admin credential exists. */
  @Transform(toBoolean)
  @IsBoolean()
  BOOTSTRAP_ADMIN_KEY = true;

  /** `live` or `test`: the environment marker in API keys (`mg_live_...`). */
  @IsIn(['live', 'test'])
  API_KEY_ENVIRONMENT: 'live' | 'test' = 'live';

  /** How often each instance polls the change feed (revocations, model loads and unloads take effect within this). */
  @Transform(toInteger)
  @IsInt()
  @Min(100)
  @Max(5000)
  CREDENTIAL_POLL_INTERVAL_MS = 1000;

  /** Audience (`aud`) of issued access tokens. Default: PUBLIC_URL. */
  @IsOptional()
  @IsString()
  OAUTH_AUDIENCE?: string;

  /** Default access-token lifetime, for clients without their own. */
  @Transform(toInteger)
  @IsInt()
  @Min(60)
  @Max(86_400)
  OAUTH_TOKEN_TTL_SECONDS = 3600;

  /** Failed client authentications allowed per client id (and, below, per IP) in OAUTH_LOCKOUT_SECONDS. */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  OAUTH_MAX_FAILED_ATTEMPTS = 10;

  @Transform(toInteger)
  @IsInt()
  @Min(1)
  OAUTH_MAX_FAILED_ATTEMPTS_PER_IP = 100;

  @Transform(toInteger)
  @IsInt()
  @Min(1)
  OAUTH_LOCKOUT_SECONDS = 300;
}

export interface AuthConfig {
  bootstrapAdminKey: boolean;
  apiKeyEnvironment: string;
  credentialPollIntervalMs: number;
  audience?: string;
  tokenTtlSeconds: number;
  maxFailedAttempts: number;
  maxFailedAttemptsPerIp: number;
  lockoutSeconds: number;
}

export function toAuthConfig(env: AuthEnv): AuthConfig {
  return {
    bootstrapAdminKey: env.BOOTSTRAP_ADMIN_KEY,
    apiKeyEnvironment: env.API_KEY_ENVIRONMENT,
    credentialPollIntervalMs: env.CREDENTIAL_POLL_INTERVAL_MS,
    audience: env.OAUTH_AUDIENCE,
    tokenTtlSeconds: env.OAUTH_TOKEN_TTL_SECONDS,
    maxFailedAttempts: env.OAUTH_MAX_FAILED_ATTEMPTS,
    maxFailedAttemptsPerIp: env.OAUTH_MAX_FAILED_ATTEMPTS_PER_IP,
    lockoutSeconds: env.OAUTH_LOCKOUT_SECONDS,
  };
}
