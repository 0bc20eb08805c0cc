import { DomainError } from '../common/errors/domain.error';
import { CommonErrorCode } from '../common/errors/error-codes';
import { modelAllowed } from './model-access';
import { Principal } from './principal';
import { Scope } from './scopes';

/** What a credential can do: its scopes and its model allow-list. */
export interface Grant {
  scopes: readonly Scope[];
  models: readonly string[];
}

/**
 * Why `issuer` may not hold power over `grant` (the scopes and allow-list patterns it lacks), or
 * undefined when it may.
 */
function beyond(issuer: Principal, grant: Grant): { scopes: Scope[]; models: string[] } | undefined {
  const scopes = grant.scopes.filter((scope) => !issuer.scopes.includes(scope));
  const models = grant.models.filter((pattern) => !coversPattern(issuer.models, pattern));
  return scopes.length > 0 || models.length > 0 ? { scopes, models } : undefined;
}

/**
 * The one check every operation that issues or re-issues a secret, or changes what a credential can
 * do, goes through (create, patch, rotate, rotate-secret, revoke, delete; API keys and OAuth clients
 * alike): nobody acts beyond what they hold themselves.
 * - `grant`: the credential as the operation leaves it (a new one, or a patched one) must hold no scope
 *   the issuer lacks and no model outside the issuer's allow-list;
 * - `target`: an existing credential the operation touches must not be more powerful than the issuer
 *   either, or a key with `keys:manage` alone could rotate an admin key and read its new secret, or
 *   revoke it.
 * `issuer` undefined is the bootstrap or the CLI, acting with the operator's authority.
 */
export function assertCanGrant(issuer: Principal | undefined, grant: Grant, target?: Grant): void {
  if (!issuer) return;
  const targetBeyond = target && beyond(issuer, target);
  if (targetBeyond) {
    const parts = [
      targetBeyond.scopes.length > 0 ? `scopes you do not hold (${targetBeyond.scopes.join(', ')})` : '',
      targetBeyond.models.length > 0 ? `models outside your allow-list (${targetBeyond.models.join(', ')})` : '',
    ].filter(Boolean);
    throw new DomainError(
      CommonErrorCode.Forbidden,
      `This credential holds ${parts.join(' and ')}: only a caller holding all of it may change, rotate or revoke it.`,
    );
  }
  const grantBeyond = beyond(issuer, grant);
  if (grantBeyond?.scopes.length) {
    throw new DomainError(
      CommonErrorCode.Forbidden,
      `You cannot grant scopes you do not hold: ${grantBeyond.scopes.join(', ')}.`,
    );
  }
  if (grantBeyond?.models.length) {
    throw new DomainError(
      CommonErrorCode.Forbidden,
      `You cannot grant models outside your own allow-list: ${grantBeyond.models.join(', ')}.`,
    );
  }
}

const WILDCARD = /[*?]/;

/**
 * Whether every model a `pattern` matches is matched by one of `allowList` as well (conservatively:
 * when that cannot be told simply, it is not). A literal name is covered when the list matches it; a
 * pattern with wildcards when the list holds it, holds `*`, or holds a `prefix*` that starts the
 * pattern's literal prefix (`fraud-*` covers `fraud-eu-*`).
 */
export function coversPattern(allowList: readonly string[], pattern: string): boolean {
  if (allowList.includes('*') || allowList.includes(pattern)) return true;
  const wildcard = pattern.search(WILDCARD);
  if (wildcard < 0) return modelAllowed(allowList, pattern);
  const literalPrefix = pattern.slice(0, wildcard);
  return allowList.some((allowed) => {
    const star = allowed.indexOf('*');
    return (
      star === allowed.length - 1 &&
      !WILDCARD.test(allowed.slice(0, star)) &&
      literalPrefix.startsWith(allowed.slice(0, star))
    );
  });
}
