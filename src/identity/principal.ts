import { Scope } from './scopes';

export type PrincipalType = 'api_key' | 'oauth_client';

/** Who is calling: the one identity a credential resolves to, whatever the credential was. */
export interface Principal {
  type: PrincipalType;
  /** API key id or OAuth client id. */
  id: string;
  name: string;
  scopes: readonly Scope[];
  /** Model allow-list of glob patterns; `["*"]` allows every model. */
  models: readonly string[];
  rateLimit?: { requestsPerMinute: number } | null;
  quota?: { requestsPerMonth: number } | null;
}
