import { getDataSourceToken } from '@nestjs/typeorm';
import { importJWK, SignJWT, UnsecuredJWT } from 'jose';
import * as oidc from 'openid-client';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SigningKeysService } from '../../src/oauth/signing-keys.service';
import { createAdminKey, eventually, IssuedClient, registerClient } from '../support/credentials';
import { ProbeModule } from '../support/probe.module';
import { startTestApp, TestApp } from '../support/test-app';

const withRealPostgres = process.env.DATABASE_URL ? describe : describe.skip;

function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

function basic(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

describe('OAuth 2.0 authorization server', () => {
  let server: TestApp;
  let admin: string;
  let client: IssuedClient;

  const token = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body,
    });
  const probe = (accessToken: string) =>
    fetch(`${server.url}/v1/probe/protected`, { headers: { authorization: `Bearer ${accessToken}` } });

  async function accessTokenFor(registered: IssuedClient, scope?: string): Promise<string> {
    const response = await token(form({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) }), {
      authorization: basic(registered.clientId, registered.clientSecret),
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { access_token: string }).access_token;
  }

  beforeAll(async () => {
    server = await startTestApp({ OAUTH_MAX_FAILED_ATTEMPTS: '5' }, { imports: [ProbeModule] });
    admin = await createAdminKey(server);
    client = await registerClient(server, admin, { scopes: ['models:read', 'models:infer'] });
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

  describe('resource side (RFC 6750, RFC 9068)', () => {
    async function forge(header: Record<string, unknown>, claims: Record<string, unknown>): Promise<string> {
      const dataSource = server.app.get<DataSource>(getDataSourceToken());
      const [row] = await dataSource.query<{ kid: string; private_jwk: Record<string, string> }[]>(
        'SELECT kid, private_jwk FROM oauth_signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC LIMIT 1',
      );
      const key = await importJWK(row.private_jwk, 'ES256');
      const now = Math.floor(Date.now() / 1000);
      const payload = {
        client_id: client.clientId,
        scope: 'models:read',
        jti: crypto.randomUUID(),
        iat: now,
        exp: now + 600,
        iss: server.url,
        aud: server.url,
        sub: client.clientId,
        ...claims,
      };
      return new SignJWT(payload)
        .setProtectedHeader({ alg: 'ES256', kid: row.kid, typ: 'at+jwt', ...header })
        .sign(key);
    }

    it('should accept a correctly forged-for-test token (the control case)', async () => {
      expect((await probe(await forge({}, {}))).status).toBe(200);
    });

    it('should reject alg none, HS256, wrong typ, wrong audience, wrong issuer and expired tokens', async () => {
      const none = new UnsecuredJWT({ client_id: client.clientId, scope: 'models:read', jti: 'x' })
        .setIssuer(server.url)
        .setAudience(server.url)
        .setSubject(client.clientId)
        .setExpirationTime('10m')
        .encode();
      const hs256 = await new SignJWT({ client_id: client.clientId, scope: 'models:read', jti: 'y' })
        .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
        .setIssuer(server.url)
        .setAudience(server.url)
        .setSubject(client.clientId)
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(new TextEncoder().encode('a-shared-secret-that-is-long-enough-32b'));
      const now = Math.floor(Date.now() / 1000);
      const bad = [
        none,
        hs256,
        await forge({ typ: 'JWT' }, {}),
        await forge({}, { aud: 'https://someone-else.example' }),
        await forge({}, { iss: 'https://evil.example' }),
        await forge({}, { exp: now - 10 }),
        'not.a.jwt',
      ];
      for (const accessToken of bad) {
        const response = await probe(accessToken);
        expect(response.status).toBe(401);
        expect(response.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
      }
    });

    it('should answer 403 insufficient_scope naming the scope', async () => {
      const limited = await registerClient(server, admin, { scopes: ['models:infer'] });
      const response = await probe(await accessTokenFor(limited));
      expect(response.status).toBe(403);
      expect(response.headers.get('www-authenticate')).toContain('error="insufficient_scope", scope="models:read"');
    });

    it('should reject tokens of a disabled or deleted client', async () => {
      const doomed = await registerClient(server, admin, { scopes: ['models:read'] });
      const accessToken = await accessTokenFor(doomed);
      expect((await probe(accessToken)).status).toBe(200);
      await fetch(`${server.url}/v1/admin/oauth-clients/${doomed.clientId}`, {
        method: 'DELETE',
        headers: { 'x-api-key': admin },
      });
      expect((await probe(accessToken)).status).toBe(401);
    });
  });

  describe('keys and metadata', () => {
    it('should publish RFC 8414 metadata listing client_credentials', async () => {
      const response = await fetch(`${server.url}/.well-known/oauth-authorization-server`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({
        issuer: server.url,
        token_endpoint: `${server.url}/oauth/token`,
        jwks_uri: `${server.url}/.well-known/jwks.json`,
        grant_types_supported: ['client_credentials'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      });
    });

    it('should rotate signing keys without invalidating unexpired tokens', async () => {
      const before = await accessTokenFor(client);
      await server.app.get(SigningKeysService).rotate();
      const jwks = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as {
        keys: { kid: string; d?: string }[];
      };
      expect(jwks.keys.length).toBeGreaterThanOrEqual(2);
      expect(jwks.keys.every((key) => key.d === undefined)).toBe(true);
      const after = await accessTokenFor(client);
      const kidOf = (jwt: string) =>
        (JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString()) as { kid: string }).kid;
      expect(kidOf(after)).not.toBe(kidOf(before));
      expect((await probe(before)).status).toBe(200);
      expect((await probe(after)).status).toBe(200);
    });

    it('should let an admin introspect any token, and refuse callers without clients:manage', async () => {
      const accessToken = await accessTokenFor(client);
      const asAdmin = await fetch(`${server.url}/oauth/introspect`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-api-key': admin },
        body: form({ token: accessToken }),
      });
      expect(await asAdmin.json()).toMatchObject({ active: true, client_id: client.clientId });
      const anonymous = await fetch(`${server.url}/oauth/introspect`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form({ token: accessToken }),
      });
      expect(anonymous.status).toBe(401);
      const other = await registerClient(server, admin, { scopes: ['models:read'] });
      const byOtherClient = await fetch(`${server.url}/oauth/introspect`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: basic(other.clientId, other.clientSecret),
        },
        body: form({ token: accessToken }),
      });
      expect(await byOtherClient.json()).toEqual({ active: false });
    });

    it('should allow the token endpoint from a browser (CORS preflight)', async () => {
      const response = await fetch(`${server.url}/oauth/token`, {
        method: 'OPTIONS',
        headers: {
          origin: 'http://swagger.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
      expect(response.status).toBeLessThan(300);
      expect(response.headers.get('access-control-allow-origin')).toBeTruthy();
    });
  });
});

withRealPostgres('OAuth across instances', () => {
  it('should reject revoked tokens and disabled clients on every instance within 5 seconds', async () => {
    // Instances behind one load balancer share one public URL, hence one issuer and audience.
    const shared = { PUBLIC_URL: 'http://modelgate.test' };
    const [a, b] = await Promise.all([
      startTestApp(shared, { imports: [ProbeModule] }),
      startTestApp(shared, { imports: [ProbeModule] }),
    ]);
    try {
      const admin = await createAdminKey(a);
      const registered = await registerClient(a, admin, { scopes: ['models:read'] });
      const issueOnA = async () => {
        const response = await fetch(`${a.url}/oauth/token`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: basic(registered.clientId, registered.clientSecret),
          },
          body: form({ grant_type: 'client_credentials' }),
        });
        return ((await response.json()) as { access_token: string }).access_token;
      };
      const onB = (accessToken: string) =>
        fetch(`${b.url}/v1/probe/protected`, { headers: { authorization: `Bearer ${accessToken}` } });

      const revoked = await issueOnA();
      expect((await onB(revoked)).status).toBe(200);
      const revocation = await fetch(`${a.url}/oauth/revoke`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: basic(registered.clientId, registered.clientSecret),
        },
        body: form({ token: revoked }),
      });
      expect(revocation.status).toBe(200);
      expect(await eventually(async () => (await onB(revoked)).status === 401, 5000)).toBeLessThan(5000);

      const live = await issueOnA();
      expect((await onB(live)).status).toBe(200);
      await fetch(`${a.url}/v1/admin/oauth-clients/${registered.clientId}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json', 'x-api-key': admin },
        body: JSON.stringify({ disabled: true }),
      });
      expect(await eventually(async () => (await onB(live)).status === 401, 5000)).toBeLessThan(5000);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
