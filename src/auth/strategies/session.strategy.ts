import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-custom';
import { unauthorized } from '../../identity/identity.errors';
import { Principal } from '../../identity/principal';
import { SessionAuthenticator } from '../../sessions/session-authenticator';
import { assertCsrf } from '../../sessions/sessions.service';

const REJECTIONS = {
  unknown: 'The session is not valid: sign in again.',
  ended: 'The session has ended: sign in again.',
  expired: 'The session has expired: sign in again.',
} as const;

/** Methods that change nothing: no CSRF token needed (RFC 9110 §9.2.1). */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * `Cookie: mg_session=...` → the signed-in user's principal (from the per-instance session cache). A
 * request that may change something must also carry the session's `X-CSRF-Token`: a cookie is sent by
 * the browser whoever made the page that sent the request.
 */
@Injectable()
export class SessionStrategy extends PassportStrategy(Strategy, 'session') {
  constructor(private readonly sessions: SessionAuthenticator) {
    super();
  }

  async validate(secret: string, method: string, csrfToken: string | string[] | undefined): Promise<Principal> {
    const result = await this.sessions.authenticate(secret);
    if (typeof result === 'string') throw unauthorized(REJECTIONS[result]);
    if (!SAFE_METHODS.has(method.toUpperCase())) assertCsrf(secret, csrfToken);
    return result;
  }
}
