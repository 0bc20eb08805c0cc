import { DomainError } from '../common/errors/domain.error';
import { CommonErrorCode } from '../common/errors/error-codes';
import { Principal } from './principal';
import { Scope } from './scopes';

/**
 * Nobody can mint a credential with more than they hold: every scope must be the issuer's own, and
 * a restricted issuer can only hand out patterns from its own model allow-list.
 */
export function assertCanGrant(
  issuer: Principal | undefined,
  scopes: readonly Scope[],
  models: readonly string[],
): void {
  if (!issuer) return; // the bootstrap and the CLI act with the operator's authority
  const missing = scopes.filter((scope) => !issuer.scopes.includes(scope));
  if (missing.length > 0) {
    throw new DomainError(CommonErrorCode.Forbidden, `You cannot grant scopes you do not hold: ${missing.join(', ')}.`);
  }
  if (issuer.models.includes('*')) return;
  const broader = models.filter((pattern) => !issuer.models.includes(pattern));
  if (broader.length > 0) {
    throw new DomainError(
      CommonErrorCode.Forbidden,
      `You cannot grant models outside your own allow-list: ${broader.join(', ')}.`,
    );
  }
}
