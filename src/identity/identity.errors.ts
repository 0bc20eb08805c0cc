import { DomainError } from '../common/errors/domain.error';
import { CommonErrorCode } from '../common/errors/error-codes';

export const REALM = 'modelgate';

/** 401 with the RFC 6750 challenge; `invalid_token` when a credential was sent but is not acceptable. */
export function unauthorized(message: string, credentialSent = false): DomainError {
  const challenge = credentialSent
    ? `Bearer realm="${REALM}", error="invalid_token", error_description="${message.replace(/"/g, "'")}"`
    : `Bearer realm="${REALM}"`;
  return new DomainError(CommonErrorCode.Unauthorized, message, { headers: { 'WWW-Authenticate': challenge } });
}

/** 403 with the RFC 6750 `insufficient_scope` challenge naming the scopes needed. */
export function insufficientScope(needed: readonly string[]): DomainError {
  return new DomainError(CommonErrorCode.InsufficientScope, `This operation requires scope ${needed.join(' ')}.`, {
    headers: { 'WWW-Authenticate': `Bearer realm="${REALM}", error="insufficient_scope", scope="${needed.join(' ')}"` },
  });
}
