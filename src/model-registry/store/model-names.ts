import { DomainError } from '../../common/errors/domain.error';
import { ModelErrorCode } from '../model.errors';

/** Model names: lower-case letters, digits, `.`, `_`, `-`; starting with a letter or digit; no `..`. */
export const MODEL_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const MAX_VERSION = 2_147_483_647;

export function isModelName(name: string): boolean {
  return MODEL_NAME.test(name) && !name.includes('..');
}

export function assertModelName(name: string): void {
  if (!isModelName(name)) {
    throw new DomainError(
      ModelErrorCode.InvalidModelName,
      `"${name.slice(0, 80)}" is not a valid model name: use 1-64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit.`,
    );
  }
}

/** A version path segment as a positive integer, or undefined when it is not one. */
export function parseVersionNumber(segment: string): number | undefined {
  if (!/^[1-9][0-9]{0,9}$/.test(segment)) return undefined;
  const version = Number(segment);
  return version <= MAX_VERSION ? version : undefined;
}

export function assertVersionNumber(segment: string): number {
  const version = parseVersionNumber(segment);
  if (version === undefined) {
    throw new DomainError(
      ModelErrorCode.InvalidModelName,
      `"${segment.slice(0, 20)}" is not a valid version: use a positive integer.`,
    );
  }
  return version;
}
