import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { toBoolean, toInteger } from './env';

export class DatabaseEnv {
  /** PostgreSQL connection string; unset means the embedded PGlite database. */
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/.+/, { message: 'DATABASE_URL must be a postgres:// or postgresql:// URL' })
  DATABASE_URL?: string;

  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(200)
  DATABASE_POOL_SIZE = 10;

  @Transform(toBoolean)
  @IsBoolean()
  DATABASE_MIGRATIONS_RUN = true;

  @Transform(toBoolean)
  @IsBoolean()
  DATABASE_LOGGING = false;

  /** Where the embedded database keeps its files; `memory://` keeps nothing on disk. */
  @IsString()
  EMBEDDED_DATA_DIR = './data';
}

export interface DatabaseConfig {
  url?: string;
  poolSize: number;
  migrationsRun: boolean;
  logging: boolean;
  embeddedDataDir: string;
}

export function toDatabaseConfig(env: DatabaseEnv): DatabaseConfig {
  return {
    url: env.DATABASE_URL,
    poolSize: env.DATABASE_POOL_SIZE,
    migrationsRun: env.DATABASE_MIGRATIONS_RUN,
    logging: env.DATABASE_LOGGING,
    embeddedDataDir: env.EMBEDDED_DATA_DIR,
  };
}
