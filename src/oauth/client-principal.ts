import { limitsOf } from '../identity/limits';
import { Principal } from '../identity/principal';
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
