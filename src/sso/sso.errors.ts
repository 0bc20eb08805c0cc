import { registerErrorStatuses } from '../common/errors/domain.error';

export enum SsoErrorCode {
  /** SSO is not configured (SSO_CLIENT_ID unset): `/auth/sso/*` are 404. */
  Disabled = 'sso_disabled',
  /** The callback's `state` is missing, unknown, tampered with, expired, already used, or not this browser's. */
  InvalidState = 'sso_invalid_state',
  /** The provider refused the code (used, expired, wrong verifier) or sent an ID token that does not verify. */
  LoginFailed = 'sso_login_failed',
  /** The provider said no (the user refused, or is not assigned to the application). */
  AccessDenied = 'sso_access_denied',
  /** The user signed in, but none of their groups maps to a scope (SSO_ROLE_SCOPES): no session. */
  NoRole = 'sso_no_role',
  /** The provider could not be reached, or answered what is not OAuth 2.0 / OpenID Connect. */
  ProviderUnavailable = 'sso_provider_unavailable',
}

registerErrorStatuses({
  [SsoErrorCode.Disabled]: 404,
  [SsoErrorCode.InvalidState]: 400,
  [SsoErrorCode.LoginFailed]: 400,
  [SsoErrorCode.AccessDenied]: 403,
  [SsoErrorCode.NoRole]: 403,
  [SsoErrorCode.ProviderUnavailable]: 502,
} satisfies Record<SsoErrorCode, number>);
