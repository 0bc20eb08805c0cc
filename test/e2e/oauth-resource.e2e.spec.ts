import { getDataSourceToken } from '@nestjs/typeorm';
import { importJWK, SignJWT, UnsecuredJWT } from 'jose';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SigningKeysService } from '../../src/oauth/signing-keys.service';
import { createAdminKey, eventually, IssuedClient, registerClient } from '../support/credentials';
import { basic, form, oauthRequests, OAuthServer, startOAuthServer } from '../support/oauth-server';
import { ProbeModule } from '../support/probe.module';
import { startTestApp, TestApp } from '../support/test-app';

const withRealPostgres = process.env.DATABASE_URL ? describe : describe.skip;

describe('OAuth 2.0: tokens on the resource side, signing keys and metadata', () => {
  let fixture: OAuthServer;
  let server: TestApp;
  let admin: string;
  let client: IssuedClient;
  const { probe, accessTokenFor } = oauthRequests(() => fixture);

  beforeAll(async () => {
    fixture = await startOAuthServer();
    ({ server, admin, client } = fixture);
  });

  afterAll(async () => {
    await server.close();
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
