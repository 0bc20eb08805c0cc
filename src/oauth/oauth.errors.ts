import { DomainError, DomainErrorOptions, registerErrorStatuses } from '../common/errors/domain.error';

/** RFC 6749 §5.2 (and RFC 7009 §2.2.1) error codes, as the token, introspection and revocation endpoints answer them. */
export enum OAuthErrorCode {
  InvalidRequest = 'invalid_request',
  InvalidClient = 'invalid_client',
  InvalidGrant = 'invalid_grant',
  UnauthorizedClient = 'unauthorized_client',
  UnsupportedGrantType = 'unsupported_grant_type',
  InvalidScope = 'invalid_scope',
  UnsupportedTokenType = 'unsupported_token_type',
  /** Too many failed client authentications: answered 429 with Retry-After. */
  TemporarilyUnavailable = 'temporarily_unavailable',
}

registerErrorStatuses({
  [OAuthErrorCode.InvalidRequest]: 400,
  [OAuthErrorCode.InvalidGrant]: 400,
  [OAuthErrorCode.UnauthorizedClient]: 400,
  [OAuthErrorCode.UnsupportedGrantType]: 400,
  [OAuthErrorCode.InvalidScope]: 400,
  [OAuthErrorCode.UnsupportedTokenType]: 400,
  [OAuthErrorCode.InvalidClient]: 401,
  [OAuthErrorCode.TemporarilyUnavailable]: 429,
} satisfies Record<OAuthErrorCode, number>);

export function oauthError(code: OAuthErrorCode, description: string, options: DomainErrorOptions = {}): DomainError {
  return new DomainError(code, description, options);
}
