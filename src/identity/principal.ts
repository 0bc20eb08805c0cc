import { Scope } from './scopes';

/** `user`: an admin signed in through SSO, calling with the session cookie. */
export type PrincipalType = 'api_key' | 'oauth_client' | 'user';

/** Who is calling: the one identity a credential resolves to, whatever the credential was. */
export interface Principal {
  type: PrincipalType;
  /** API key id, OAuth client id, or the user's subject at the identity provider. */
  id: string;
  name: string;
  /** A user's email, when the provider gave one. */
  email?: string;
  /** A user's session (its public id), for the calls made with the session cookie. */
  sessionId?: string;
  scopes: readonly Scope[];
  /** Model allow-list of glob patterns; `["*"]` allows every model. */
  models: readonly string[];
  rateLimit?: { requestsPerMinute: number } | null;
  quota?: { requestsPerMonth: number } | null;
}
