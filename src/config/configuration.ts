import { AppConfig, AppEnv, toAppConfig } from './app.config';
import { AuthConfig, AuthEnv, toAuthConfig } from './auth.config';
import { ConfigValidationError } from './config.errors';
import { DatabaseConfig, DatabaseEnv, toDatabaseConfig } from './database.config';
import { Env, settingNames, validateNamespace, withFileSettings } from './env';
import { GrpcConfig, GrpcEnv, toGrpcConfig } from './grpc.config';
import { ModelsConfig, ModelsEnv, toModelsConfig } from './models.config';
import { SsoConfig, SsoEnv, toSsoConfig } from './sso.config';
import { toUsageConfig, UsageConfig, UsageEnv } from './usage.config';

/** The whole validated configuration, one key per namespace. */
export interface Configuration {
  app: AppConfig;
  database: DatabaseConfig;
  auth: AuthConfig;
  models: ModelsConfig;
  usage: UsageConfig;
  grpc: GrpcConfig;
  sso: SsoConfig;
}

const NAMESPACES = [AppEnv, DatabaseEnv, AuthEnv, ModelsEnv, UsageEnv, GrpcEnv, SsoEnv];

/** Every variable the configuration reads (each may also come from a file: `X_FILE`). */
export function configurationVariables(): string[] {
  return NAMESPACES.flatMap((namespace) => settingNames(namespace));
}

/**
 * Reads and validates every namespace from the environment, each variable `X` also from the file that
 * `X_FILE` names. Throws one {@link ConfigValidationError} naming every bad variable, so that a
 * misconfigured process fails at start-up, not at first use.
 */
export function loadConfiguration(environment: Env = process.env): Configuration {
  const problems: string[] = [];
  const env = withFileSettings(environment, configurationVariables(), problems);
  const app = validateNamespace(AppEnv, env, problems);
  const database = validateNamespace(DatabaseEnv, env, problems);
  const auth = validateNamespace(AuthEnv, env, problems);
  const models = validateNamespace(ModelsEnv, env, problems);
  const usage = validateNamespace(UsageEnv, env, problems);
  const grpc = toGrpcConfig(validateNamespace(GrpcEnv, env, problems), problems);
  const sso = toSsoConfig(validateNamespace(SsoEnv, env, problems), problems);
  if (problems.length > 0) throw new ConfigValidationError(problems);
  return {
    app: toAppConfig(app),
    database: toDatabaseConfig(database),
    auth: toAuthConfig(auth),
    models: toModelsConfig(models),
    usage: toUsageConfig(usage),
    grpc,
    sso,
  };
}
