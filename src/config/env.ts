import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';

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
