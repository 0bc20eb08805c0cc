import { expect } from 'vitest';
import { createAdminKey, IssuedClient, registerClient } from './credentials';
import { ProbeModule } from './probe.module';
import { startTestApp, TestApp } from './test-app';

export function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

export function basic(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

export interface OAuthServer {
  server: TestApp;
  admin: string;
  /** A client with models:read and models:infer. */
  client: IssuedClient;
}

/** The application with the probe routes, a low lockout threshold (5), an admin key and a client. */
export async function startOAuthServer(): Promise<OAuthServer> {
  const server = await startTestApp({ OAUTH_MAX_FAILED_ATTEMPTS: '5' }, { imports: [ProbeModule] });
  const admin = await createAdminKey(server);
  const client = await registerClient(server, admin, { scopes: ['models:read', 'models:infer'] });
  return { server, admin, client };
}

/** The token endpoint, a protected probe route, and a token for a registered client. */
export function oauthRequests(current: () => OAuthServer) {
  const token = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${current().server.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body,
    });
  const probe = (accessToken: string) =>
    fetch(`${current().server.url}/v1/probe/protected`, { headers: { authorization: `Bearer ${accessToken}` } });
  async function accessTokenFor(registered: IssuedClient, scope?: string): Promise<string> {
    const response = await token(form({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) }), {
      authorization: basic(registered.clientId, registered.clientSecret),
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { access_token: string }).access_token;
  }
  return { token, probe, accessTokenFor };
}
