import { Logger } from '@nestjs/common';
import { DomainError } from '../common/errors/domain.error';
import { SessionUser } from '../sessions/sessions.service';
import { ProviderEndpoints } from './sso-provider';
import { SsoErrorCode } from './sso.errors';

const logger = new Logger('SsoClaims');

/** The ID token verified (signature, iss, aud, nonce) when there is one to verify; its claims, then userinfo's. */
export async function verifiedClaims(
  endpoints: ProviderEndpoints,
  nonce: string | undefined,
  tokens: { idToken?: string; userinfo: Record<string, unknown> },
): Promise<Record<string, unknown>> {
  const expectIdToken = nonce !== undefined && endpoints.verifyIdToken !== undefined;
  if (!expectIdToken || !endpoints.verifyIdToken) return tokens.userinfo;
  if (!tokens.idToken) throw new DomainError(SsoErrorCode.LoginFailed, 'The identity provider sent no ID token.');
  let claims: Record<string, unknown>;
  try {
    claims = await endpoints.verifyIdToken(tokens.idToken);
  } catch (error) {
    // The reason only: jose's errors carry the token's claims.
    const reason = (error as { code?: unknown }).code ?? (error instanceof Error ? error.message : 'unknown');
    logger.warn({ reason }, 'SSO: the ID token does not verify');
    throw new DomainError(SsoErrorCode.LoginFailed, 'The ID token does not verify.');
  }
  if (claims.nonce !== nonce) {
    throw new DomainError(SsoErrorCode.LoginFailed, 'The ID token is not this sign-in’s (nonce).');
  }
  // OpenID Connect Core §5.3.2: userinfo is about the ID token's subject, or not to be used.
  if (tokens.userinfo.sub !== undefined && tokens.userinfo.sub !== claims.sub) {
    throw new DomainError(SsoErrorCode.LoginFailed, 'The userinfo response is about another user.');
  }
  return { ...claims, ...tokens.userinfo };
}

/** The user a provider's claims describe (`sub` required, at most 100 characters: it is the principal id). */
export function userOf(claims: Record<string, unknown>): SessionUser {
  const text = (name: string) => (typeof claims[name] === 'string' && claims[name] !== '' ? claims[name] : undefined);
  const id = text('sub');
  if (!id || id.length > 100) {
    throw new DomainError(SsoErrorCode.LoginFailed, 'The identity provider gave no usable subject (sub) for the user.');
  }
  const email = text('email');
  const usableEmail = email && email.length <= 320 && email.includes('@') ? email : undefined;
  const name = text('name') ?? text('preferred_username') ?? usableEmail ?? id;
  return { id, name: name.slice(0, 200), email: usableEmail };
}
