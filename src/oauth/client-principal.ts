import { limitsOf } from '../auth/limits';
import { Principal } from '../auth/principal';
import { OAuthClientEntity } from './oauth-client.entity';

/** The principal an OAuth client stands for, with every scope it has. */
export function clientPrincipal(client: OAuthClientEntity): Principal {
  return {
    type: 'oauth_client',
    id: client.clientId,
    name: client.name,
    scopes: client.scopes,
    models: client.models,
    ...limitsOf(client),
  };
}
