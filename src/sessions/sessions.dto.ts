import { Scope } from '../identity/scopes';

export class SessionUserDto {
  /** The user's subject at the identity provider. */
  id: string;
  name: string;
  email: string | null;
}

export class SessionDto {
  user: SessionUserDto;
  /** What the session may do (the scopes the user's groups map to). */
  scopes: Scope[];
  /** Send it as `X-CSRF-Token` on every POST, PUT, PATCH and DELETE made with the session cookie. */
  csrfToken: string;
  /** ISO time. */
  expiresAt: string;
}
