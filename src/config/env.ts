import { readFileSync } from 'node:fs';
import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validateSync, ValidationError } from 'class-validator';

export type Env = Record<string, string | undefined>;

/** Parses a boolean environment value (`true/false/1/0/yes/no`), leaving anything else for the validator. */
export function toBoolean({ value }: { value: unknown }): unknown {
  if (typeof value !== 'string') return value;
  const normalised = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(normalised)) return true;
  if (['false', '0', 'no', 'off'].includes(normalised)) return false;
  return value;
}

/** Parses an integer environment value, leaving anything that is not one for the validator to reject. */
export function toInteger({ value }: { value: unknown }): unknown {
  if (typeof value !== 'string' || !/^-?\d+$/.test(value.trim())) return value;
  return Number(value.trim());
}

/**
 * Validates the variables one namespace reads. Empty strings count as unset, so that
 * `FOO=` in a .env file falls back to the default instead of failing.
 */
export function validateNamespace<T extends object>(cls: new () => T, env: Env, problems: string[]): T {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const instance = plainToInstance(cls, present, { exposeDefaultValues: true, excludeExtraneousValues: false });
  const errors = validateSync(instance, { whitelist: false, forbidUnknownValues: false });
  problems.push(...errors.flatMap((error) => describe(error, env)));
  return instance;
}

function describe(error: ValidationError, env: Env): string[] {
  const received = env[error.property];
  const constraints = Object.values(error.constraints ?? {}).join('; ');
  return [
    `${error.property}: ${constraints} (received ${received === undefined ? 'nothing' : JSON.stringify(received)})`,
  ];
}

/** The variables a namespace class declares (every one carries a validation decorator). */
export function settingNames(cls: new () => object): string[] {
  const names = getMetadataStorage()
    .getTargetValidationMetadatas(cls, '', true, false)
    .map((metadata) => metadata.propertyName);
  return [...new Set(names)];
}

/**
 * The `*_FILE` convention (Docker and Kubernetes secrets): for a setting `X`, `X_FILE` names a file
 * whose content is the value (one trailing newline dropped, as `echo` and editors leave one). Setting
 * both, or a file that cannot be read, is a problem reported with the others at start-up.
 */
export function withFileSettings(env: Env, settings: readonly string[], problems: string[]): Env {
  const resolved: Env = { ...env };
  for (const name of settings) {
    const path = env[`${name}_FILE`];
    if (path === undefined || path === '') continue;
    if (env[name] !== undefined && env[name] !== '') {
      problems.push(`${name}_FILE: set ${name} or ${name}_FILE, not both`);
      continue;
    }
    try {
      resolved[name] = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      problems.push(`${name}_FILE: cannot read ${JSON.stringify(path)} (${code})`);
    }
  }
  return resolved;
}
