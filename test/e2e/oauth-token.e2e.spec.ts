import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IssuedClient, registerClient } from '../support/credentials';
import { basic, form, oauthRequests, OAuthServer, startOAuthServer } from '../support/oauth-server';
import { TestApp } from '../support/test-app';

describe('OAuth 2.0: the token endpoint', () => {
  let fixture: OAuthServer;
  let server: TestApp;
  let admin: string;
  let client: IssuedClient;
  const { token, probe } = oauthRequests(() => fixture);

  beforeAll(async () => {
    fixture = await startOAuthServer();
    ({ server, admin, client } = fixture);
  });

  afterAll(async () => {
    await server.close();
  });

  describe('with a real OAuth 2.0 client library (openid-client)', () => {
    it('should discover, obtain, use, introspect and revoke a token', async () => {
      const config = await oidc.discovery(
        new URL(server.url),
        client.clientId,
        undefined,
        oidc.ClientSecretBasic(client.clientSecret),
        { execute: [oidc.allowInsecureRequests], algorithm: 'oauth2' },
      );
      const tokens = await oidc.clientCredentialsGrant(config, { scope: 'models:read' });
      expect(tokens.token_type.toLowerCase()).toBe('bearer');
      expect(tokens.scope).toBe('models:read');
      expect(tokens.expires_in).toBe(3600);
      expect((await probe(tokens.access_token)).status).toBe(200);

      const introspection = await oidc.tokenIntrospection(config, tokens.access_token);
      expect(introspection).toMatchObject({
        active: true,
        client_id: client.clientId,
        scope: 'models:read',
        token_type: 'Bearer',
      });

      await oidc.tokenRevocation(config, tokens.access_token);
      expect((await oidc.tokenIntrospection(config, tokens.access_token)).active).toBe(false);
      const rejected = await probe(tokens.access_token);
      expect(rejected.status).toBe(401);
      expect(rejected.headers.get('www-authenticate')).toMatch(/^Bearer realm="modelgate", error="invalid_token"/);
    });

    it('should work with client_secret_post too', async () => {
      const config = await oidc.discovery(
        new URL(server.url),
        client.clientId,
        undefined,
        oidc.ClientSecretPost(client.clientSecret),
        { execute: [oidc.allowInsecureRequests], algorithm: 'oauth2' },
      );
      const tokens = await oidc.clientCredentialsGrant(config);
      expect(tokens.scope).toBe('models:read models:infer');
    });
  });

  describe('token endpoint errors (RFC 6749 §5.2)', () => {
    it('should issue RFC 9068 access tokens with no-store', async () => {
      const response = await token(form({ grant_type: 'client_credentials' }), {
        authorization: basic(client.clientId, client.clientSecret),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const body = (await response.json()) as { access_token: string };
      const [header, payload] = body.access_token
        .split('.')
        .slice(0, 2)
        .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>);
      expect(header).toMatchObject({ typ: 'at+jwt', alg: 'ES256', kid: expect.any(String) });
      expect(payload).toMatchObject({
        iss: server.url,
        sub: client.clientId,
        aud: server.url,
        client_id: client.clientId,
        scope: 'models:read models:infer',
      });
      for (const claim of ['exp', 'iat', 'jti']) expect(payload).toHaveProperty(claim);
    });

    const cases: [string, () => Promise<Response>, number, string][] = [
      [
        'missing grant_type',
        () => token(form({ client_id: client.clientId, client_secret: client.clientSecret })),
        400,
        'invalid_request',
      ],
      [
        'both Basic and post authentication',
        () =>
          token(
            form({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret }),
            { authorization: basic(client.clientId, client.clientSecret) },
          ),
        400,
        'invalid_request',
      ],
      ['no client authentication', () => token(form({ grant_type: 'client_credentials' })), 401, 'invalid_client'],
      [
        'a wrong secret (post)',
        () => token(form({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: 'mgs_wrong' })),
        401,
        'invalid_client',
      ],
      [
        'an unsupported grant type',
        () =>
          token(form({ grant_type: 'password', username: 'a', password: 'b' }), {
            authorization: basic(client.clientId, client.clientSecret),
          }),
        400,
        'unsupported_grant_type',
      ],
      [
        'a scope the client does not have',
        () =>
          token(form({ grant_type: 'client_credentials', scope: 'models:read keys:manage' }), {
            authorization: basic(client.clientId, client.clientSecret),
          }),
        400,
        'invalid_scope',
      ],
      [
        'a JSON body',
        () =>
          fetch(`${server.url}/oauth/token`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: basic(client.clientId, client.clientSecret) },
            body: JSON.stringify({ grant_type: 'client_credentials' }),
          }),
        400,
        'invalid_request',
      ],
      [
        'a repeated parameter',
        () =>
          token('grant_type=client_credentials&grant_type=client_credentials', {
            authorization: basic(client.clientId, client.clientSecret),
          }),
        400,
        'invalid_request',
      ],
    ];
    for (const [name, send, status, error] of cases) {
      it(`should answer ${status} ${error} for ${name}`, async () => {
        const response = await send();
        expect(response.status).toBe(status);
        expect(response.headers.get('cache-control')).toBe('no-store');
        expect(response.headers.get('content-type')).toMatch(/^application\/json/);
        expect(await response.json()).toMatchObject({ error });
      });
    }

    it('should challenge with Basic when Basic authentication failed', async () => {
      const response = await token(form({ grant_type: 'client_credentials' }), {
        authorization: basic(client.clientId, 'mgs_wrong'),
      });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Basic realm="modelgate"/);
      expect(await response.json()).toMatchObject({ error: 'invalid_client' });
    });

    it('should answer unauthorized_client for a disabled client, and lock out repeated failures', async () => {
      const disabled = await registerClient(server, admin, { scopes: ['models:read'] });
      await fetch(`${server.url}/v1/admin/oauth-clients/${disabled.clientId}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json', 'x-api-key': admin },
        body: JSON.stringify({ disabled: true }),
      });
      const response = await token(form({ grant_type: 'client_credentials' }), {
        authorization: basic(disabled.clientId, disabled.clientSecret),
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'unauthorized_client' });

      const victim = await registerClient(server, admin, { scopes: ['models:read'] });
      for (let attempt = 0; attempt < 5; attempt++) {
        expect(
          (
            await token(form({ grant_type: 'client_credentials' }), {
              authorization: basic(victim.clientId, `guess-${attempt}`),
            })
          ).status,
        ).toBe(401);
      }
      const locked = await token(form({ grant_type: 'client_credentials' }), {
        authorization: basic(victim.clientId, victim.clientSecret),
      });
      expect(locked.status).toBe(429);
      expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await locked.json()).toMatchObject({ error: 'temporarily_unavailable' });
    });
  });
});
