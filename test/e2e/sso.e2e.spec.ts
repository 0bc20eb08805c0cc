import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../support/browser';
import { createAdminKey, eventually } from '../support/credentials';
import { IdentityProvider } from '../support/identity-provider';
import { sessionOf, signIn, SsoServer, startSsoServer, toCallback, USERS } from '../support/sso-server';
import { startTestApp, TestApp } from '../support/test-app';

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

function setCookies(response: Response): Record<string, string> {
  return Object.fromEntries(
    response.headers.getSetCookie().map((line) => [line.slice(0, line.indexOf('=')), line] as [string, string]),
  );
}

async function problem(response: Response, status: number, code: string): Promise<Record<string, unknown>> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = (await response.json()) as Record<string, unknown>;
  expect(body.code).toBe(code);
  return body;
}

describe('Admin sign-in (SSO)', () => {
  let fixture: SsoServer;
  let server: TestApp;
  let idp: IdentityProvider;
  let db: DataSource;
  const sessionsOf = async (userId: string) =>
    db.query<Record<string, unknown>[]>(`SELECT * FROM sessions WHERE user_id = $1`, [userId]);

  beforeAll(async () => {
    fixture = await startSsoServer();
    ({ server, idp } = fixture);
    db = server.app.get(DataSource);
  });

  afterAll(async () => {
    await fixture.close();
  });

  describe('signing in', () => {
    it('should redirect to the provider with the code flow, PKCE S256, state and nonce', async () => {
      const response = await new Browser().fetch(`${server.url}/auth/sso/login`);
      expect(response.status).toBe(302);
      const location = new URL(response.headers.get('location')!);
      expect(`${location.origin}${location.pathname}`).toBe(idp.authorizationUrl);
      const query = location.searchParams;
      expect(query.get('response_type')).toBe('code');
      expect(query.get('client_id')).toBe(idp.clientId);
      expect(query.get('redirect_uri')).toBe(`${server.url}/auth/sso/callback`);
      expect(query.get('scope')).toBe('openid profile email');
      expect(query.get('code_challenge_method')).toBe('S256');
      expect(query.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(query.get('state')!.length).toBeGreaterThanOrEqual(32);
      expect(query.get('nonce')!.length).toBeGreaterThanOrEqual(32);
      const cookie = setCookies(response).mg_sso_login;
      expect(cookie).toMatch(/; Path=\/auth\/sso; Max-Age=600; HttpOnly; SameSite=Lax$/);
      // The state and the browser's cookie are stored as hashes only.
      const rows = await db.query<Record<string, string>[]>(`SELECT * FROM sso_login_states WHERE state_hash = $1`, [
        sha256(query.get('state')!),
      ]);
      expect(rows).toHaveLength(1);
      expect(JSON.stringify(rows[0])).not.toContain(query.get('state'));
      expect(rows[0].browser_hash).toBe(sha256(cookie.slice('mg_sso_login='.length, cookie.indexOf(';'))));
    });

    it('should start a session with the scopes of the user’s groups and land on /console', async () => {
      const browser = new Browser();
      const response = await signIn(browser, idp, server.url, USERS.admin);
      expect(response.status).toBe(302);
      expect(response.headers.get('location')).toBe('/console');
      const cookies = setCookies(response);
      expect(cookies.mg_session).toMatch(
        /^mg_session=[0-9A-Za-z]{43}; Path=\/; Max-Age=28800; HttpOnly; SameSite=Lax$/,
      );
      expect(cookies.mg_sso_login).toMatch(/^mg_sso_login=; Path=\/auth\/sso; Max-Age=0;/);

      const session = await sessionOf(browser, server.url);
      expect(session.user).toEqual({ id: USERS.admin.id, name: USERS.admin.name, email: USERS.admin.email });
      expect(session.scopes).toEqual(['keys:manage', 'clients:manage', 'models:manage', 'usage:admin', 'audit:read']);
      expect(session.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const expiresIn = Date.parse(session.expiresAt) - Date.now();
      expect(expiresIn).toBeGreaterThan(28_700_000);
      expect(expiresIn).toBeLessThanOrEqual(28_800_000);

      // Stored: the secret's hash, never the secret or the CSRF token.
      const secret = browser.cookie(server.url, 'mg_session')!;
      const rows = await db.query<Record<string, unknown>[]>(`SELECT * FROM sessions WHERE token_hash = $1`, [
        sha256(secret),
      ]);
      expect(rows).toHaveLength(1);
      const [row] = rows;
      expect(row).toMatchObject({ user_id: USERS.admin.id, user_name: USERS.admin.name, ended_at: null });
      expect(JSON.stringify(row)).not.toContain(secret);
      expect(JSON.stringify(row)).not.toContain(session.csrfToken);

      // The session is a principal: the admin API with its scopes, limited like an admin key.
      const keys = await browser.fetch(`${server.url}/v1/admin/api-keys`);
      expect(keys.status).toBe(200);
      expect(keys.headers.get('ratelimit')).toBeTruthy();
      await problem(await browser.fetch(`${server.url}/v1/models`), 403, 'insufficient_scope');
    });

    it('should union the scopes of several mapped groups', async () => {
      const browser = new Browser();
      expect((await signIn(browser, idp, server.url, USERS.both)).status).toBe(302);
      expect((await sessionOf(browser, server.url)).scopes).toEqual(['models:read', 'usage:read', 'keys:manage']);
      expect((await browser.fetch(`${server.url}/v1/models`)).status).toBe(200);
      expect((await browser.fetch(`${server.url}/v1/admin/api-keys`)).status).toBe(200);
      await problem(await browser.fetch(`${server.url}/v1/admin/oauth-clients`), 403, 'insufficient_scope');
    });

    it('should refuse a user none of whose groups is mapped: 403 and no session', async () => {
      const browser = new Browser();
      const response = await signIn(browser, idp, server.url, USERS.outsider);
      await problem(response, 403, 'sso_no_role');
      expect(setCookies(response).mg_session).toBeUndefined();
      expect(await sessionsOf(USERS.outsider.id)).toHaveLength(0);
      await problem(await browser.fetch(`${server.url}/auth/session`), 401, 'unauthorized');
    });

    it('should answer 403 when the provider refuses the user', async () => {
      idp.denyNext();
      const browser = new Browser();
      const response = await browser.fetch(await toCallback(browser, server.url));
      await problem(response, 403, 'sso_access_denied');
    });
  });

  describe('the callback', () => {
    it('should refuse a tampered state, and leave no session', async () => {
      idp.signInNext(USERS.viewer);
      const browser = new Browser();
      const callback = await toCallback(browser, server.url);
      const before = (await sessionsOf(USERS.viewer.id)).length;
      const state = callback.searchParams.get('state')!;
      for (const tampered of [`${state.slice(0, -1)}${state.endsWith('A') ? 'B' : 'A'}`, '', 'x'.repeat(500)]) {
        const url = new URL(callback);
        url.searchParams.set('state', tampered);
        await problem(await browser.fetch(url), 400, 'sso_invalid_state');
      }
      const missing = new URL(callback);
      missing.searchParams.delete('state');
      await problem(await browser.fetch(missing), 400, 'sso_invalid_state');
      expect(await sessionsOf(USERS.viewer.id)).toHaveLength(before);
    });

    it('should refuse a replayed callback (same state and code): 400 and no second session', async () => {
      idp.signInNext(USERS.viewer);
      const browser = new Browser();
      const callback = await toCallback(browser, server.url);
      const loginCookie = browser.cookie(callback, 'mg_sso_login')!;
      const before = (await sessionsOf(USERS.viewer.id)).length;
      expect((await browser.fetch(callback)).status).toBe(302);
      expect(await sessionsOf(USERS.viewer.id)).toHaveLength(before + 1);

      // The same browser (its login cookie now deleted), and one that kept the cookie.
      const replay = await browser.fetch(callback);
      await problem(replay, 400, 'sso_invalid_state');
      expect(setCookies(replay).mg_session).toBeUndefined();
      const keeper = new Browser();
      keeper.setCookie(callback, 'mg_sso_login', loginCookie, '/auth/sso');
      await problem(await keeper.fetch(callback), 400, 'sso_invalid_state');
      expect(await sessionsOf(USERS.viewer.id)).toHaveLength(before + 1);
    });

    it('should refuse a callback in another browser than the one that started the sign-in', async () => {
      idp.signInNext(USERS.viewer);
      const callback = await toCallback(new Browser(), server.url);
      const attacker = new Browser();
      await problem(await attacker.fetch(callback), 400, 'sso_invalid_state');
      attacker.setCookie(callback, 'mg_sso_login', 'A'.repeat(43), '/auth/sso');
      await problem(await attacker.fetch(callback), 400, 'sso_invalid_state');
    });

    it('should refuse a code the provider does not know (and not reveal it)', async () => {
      idp.signInNext(USERS.viewer);
      const browser = new Browser();
      const callback = await toCallback(browser, server.url);
      callback.searchParams.set('code', 'forged-code');
      const body = await problem(await browser.fetch(callback), 400, 'sso_login_failed');
      expect(JSON.stringify(body)).not.toContain('forged-code');
    });

    /** Starts a sign-in, changes one parameter of the authorization request, and goes on to the callback. */
    async function tamperedAuthorization(
      parameter: string,
      value: string,
    ): Promise<{ browser: Browser; callback: URL }> {
      idp.signInNext(USERS.admin);
      const browser = new Browser();
      const login = await browser.fetch(`${server.url}/auth/sso/login`);
      const authorization = new URL(login.headers.get('location')!);
      authorization.searchParams.set(parameter, value);
      const visit = await browser.visit(authorization, (next) => next.pathname === '/auth/sso/callback');
      expect(visit.url.searchParams.get('code')).toBeTruthy();
      return { browser, callback: visit.url };
    }

    it('should refuse an ID token with another nonce than the sign-in’s', async () => {
      const { browser, callback } = await tamperedAuthorization('nonce', 'a-nonce-the-platform-never-sent');
      const before = (await sessionsOf(USERS.admin.id)).length;
      const body = await problem(await browser.fetch(callback), 400, 'sso_login_failed');
      expect(body.detail).toMatch(/nonce/);
      expect(await sessionsOf(USERS.admin.id)).toHaveLength(before);
    });

    it('should fail when the code challenge was swapped (PKCE): the provider refuses the verifier', async () => {
      const { browser, callback } = await tamperedAuthorization('code_challenge', 'A'.repeat(43));
      const before = (await sessionsOf(USERS.admin.id)).length;
      const body = await problem(await browser.fetch(callback), 400, 'sso_login_failed');
      expect(body.detail).toMatch(/invalid_grant/);
      expect(await sessionsOf(USERS.admin.id)).toHaveLength(before);
    });

    it('should refuse a response naming another issuer (RFC 9207)', async () => {
      idp.signInNext(USERS.viewer);
      const browser = new Browser();
      const callback = await toCallback(browser, server.url);
      expect(callback.searchParams.get('iss')).toBe(idp.issuer);
      callback.searchParams.set('iss', 'https://evil.example');
      await problem(await browser.fetch(callback), 400, 'sso_login_failed');
    });
  });

  describe('returnTo', () => {
    const land = async (returnTo: string) => {
      const response = await signIn(new Browser(), idp, server.url, USERS.viewer, returnTo);
      expect(response.status).toBe(302);
      return response.headers.get('location');
    };

    it('should return to a path of this server', async () => {
      expect(await land('/console/models/iris?tab=versions#aliases')).toBe('/console/models/iris?tab=versions#aliases');
    });

    it('should fall back to /console for anything that could leave the origin', async () => {
      const attempts = [
        '//evil.example/console',
        '/\\evil.example',
        '\\\\evil.example',
        'https://evil.example/console',
        `${server.url.replace('127.0.0.1', 'localhost')}/console`,
        'javascript:alert(1)',
        '%2F%2Fevil.example',
        '/%2Fevil.example',
        '/%5Cevil.example',
        '%252F%252Fevil.example',
        '/\tevil.example',
        '/%09/evil.example',
        'console',
      ];
      for (const attempt of attempts) expect(await land(attempt), attempt).toBe('/console');
    });
  });

  describe('CSRF', () => {
    let browser: Browser;
    let csrfToken: string;
    const createKey = (headers: Record<string, string>) =>
      browser.fetch(`${server.url}/v1/admin/api-keys`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ name: 'made in the console', scopes: ['usage:admin'] }),
      });

    beforeAll(async () => {
      browser = new Browser();
      await signIn(browser, idp, server.url, USERS.admin);
      ({ csrfToken } = await sessionOf(browser, server.url));
    });

    it('should refuse a state-changing request made with the cookie without the token, or with a wrong one', async () => {
      await problem(await createKey({}), 403, 'csrf_failed');
      await problem(await createKey({ 'x-csrf-token': `${csrfToken.slice(0, -1)}x` }), 403, 'csrf_failed');
      await problem(await createKey({ 'x-csrf-token': '' }), 403, 'csrf_failed');
      const otherBrowser = new Browser();
      await signIn(otherBrowser, idp, server.url, USERS.admin);
      const other = await sessionOf(otherBrowser, server.url);
      await problem(await createKey({ 'x-csrf-token': other.csrfToken }), 403, 'csrf_failed');
      const deletion = await browser.fetch(`${server.url}/v1/admin/api-keys/00000000-0000-0000-0000-000000000000`, {
        method: 'DELETE',
      });
      await problem(deletion, 403, 'csrf_failed');
      const predict = await browser.fetch(`${server.url}/v1/models/iris/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ instances: [[5.1, 3.5, 1.4, 0.2]] }),
      });
      await problem(predict, 403, 'csrf_failed');
    });

    it('should accept it with the session’s token, as the session’s user', async () => {
      const response = await createKey({ 'x-csrf-token': csrfToken });
      expect(response.status).toBe(201);
      const key = (await response.json()) as { id: string };
      const [row] = await db.query<
        {
          created_by: string;
        }[]
      >(`SELECT created_by FROM api_keys WHERE id = $1`, [key.id]);
      expect(row.created_by).toBe(USERS.admin.id);
      // The grant check applies: a session grants no scope it does not hold.
      const beyond = await browser.fetch(`${server.url}/v1/admin/api-keys`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': csrfToken },
        body: JSON.stringify({ name: 'too much', scopes: ['models:infer'] }),
      });
      await problem(beyond, 403, 'forbidden');
    });

    it('should need no token on GET, and none with an API key beside the cookie (the key authenticates)', async () => {
      expect((await browser.fetch(`${server.url}/v1/admin/api-keys`)).status).toBe(200);
      const adminKey = await createAdminKey(server);
      const response = await createKey({ 'x-api-key': adminKey });
      expect(response.status).toBe(201);
      const key = (await response.json()) as { id: string };
      const [row] = await db.query<
        {
          created_by: string;
        }[]
      >(`SELECT created_by FROM api_keys WHERE id = $1`, [key.id]);
      expect(row.created_by).not.toBe(USERS.admin.id);
      // A bad key beside a good cookie is refused, not passed over for the cookie.
      await problem(await createKey({ 'x-api-key': 'mg_live_nope' }), 401, 'unauthorized');
    });

    it('should not let the cookie authenticate the OAuth endpoints', async () => {
      const response = await browser.fetch(`${server.url}/oauth/introspect`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'token=abc',
      });
      expect(response.status).toBe(401);
    });

    it('should require the token to log out', async () => {
      await problem(await browser.fetch(`${server.url}/auth/logout`, { method: 'POST' }), 403, 'csrf_failed');
      expect((await browser.fetch(`${server.url}/auth/session`)).status).toBe(200);
    });
  });

  describe('the live usage WebSocket', () => {
    /** The upgrade's outcome: `open` (then closed), or the status it was refused with. */
    const upgrade = (headers: Record<string, string>) =>
      new Promise<number | 'open'>((resolve, reject) => {
        const socket = new WebSocket(`${server.url.replace('http', 'ws')}/v1/admin/usage/live`, { headers });
        socket.once('open', () => {
          socket.close();
          resolve('open');
        });
        socket.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
        socket.once('error', reject);
      });

    it('should take the session cookie from the platform’s origin (no CSRF token: a browser cannot send one)', async () => {
      const browser = new Browser();
      await signIn(browser, idp, server.url, USERS.admin);
      const cookie = `mg_session=${browser.cookie(server.url, 'mg_session')}`;
      expect(await upgrade({ cookie, origin: server.url })).toBe('open');
      expect(await upgrade({ cookie, origin: 'https://evil.example' })).toBe(403);
      const viewer = new Browser();
      await signIn(viewer, idp, server.url, USERS.viewer);
      expect(
        await upgrade({ cookie: `mg_session=${viewer.cookie(server.url, 'mg_session')}`, origin: server.url }),
      ).toBe(403);
    });
  });

  describe('session lifetime', () => {
    it('should end the session at logout and delete the cookie', async () => {
      const browser = new Browser();
      await signIn(browser, idp, server.url, USERS.viewer);
      const { csrfToken } = await sessionOf(browser, server.url);
      const secret = browser.cookie(server.url, 'mg_session')!;
      const response = await browser.fetch(`${server.url}/auth/logout`, {
        method: 'POST',
        headers: { 'x-csrf-token': csrfToken },
      });
      expect(response.status).toBe(204);
      expect(setCookies(response).mg_session).toMatch(/^mg_session=; Path=\/; Max-Age=0; HttpOnly; SameSite=Lax$/);
      const [row] = await db.query<
        {
          ended_at: Date | null;
        }[]
      >(`SELECT ended_at FROM sessions WHERE token_hash = $1`, [sha256(secret)]);
      expect(row.ended_at).not.toBeNull();
      // The old cookie, kept by someone: no longer a credential.
      const stale = new Browser();
      stale.setCookie(server.url, 'mg_session', secret);
      await problem(await stale.fetch(`${server.url}/auth/session`), 401, 'unauthorized');
      const models = await stale.fetch(`${server.url}/v1/models`);
      await problem(models, 401, 'unauthorized');
      expect(models.headers.get('www-authenticate')).toMatch(/^Bearer realm="modelgate"/);
      await problem(await stale.fetch(`${server.url}/auth/logout`, { method: 'POST' }), 401, 'unauthorized');
    });

    it('should record session.started and session.ended in the audit log, with no secret', async () => {
      const browser = new Browser();
      const started = await signIn(browser, idp, server.url, USERS.admin);
      const requestId = started.headers.get('x-request-id');
      const { csrfToken } = await sessionOf(browser, server.url);
      const secret = browser.cookie(server.url, 'mg_session')!;
      const [{ id }] = await db.query<{ id: string }[]>(`SELECT id FROM sessions WHERE token_hash = $1`, [
        sha256(secret),
      ]);
      const logout = await browser.fetch(`${server.url}/auth/logout`, {
        method: 'POST',
        headers: { 'x-csrf-token': csrfToken, 'user-agent': 'console-test' },
      });
      expect(logout.status).toBe(204);

      // Read through the admin API, as the console does: with a session holding audit:read.
      const reader = new Browser();
      await signIn(reader, idp, server.url, USERS.admin);
      const response = await reader.fetch(`${server.url}/v1/admin/audit-events?targetId=${id}`);
      expect(response.status).toBe(200);
      const { items } = (await response.json()) as { items: Record<string, unknown>[] };
      expect(items.map((item) => item.action)).toEqual(['session.ended', 'session.started']);
      const [ended, begun] = items;
      expect(begun).toMatchObject({
        actor: { type: 'user', id: USERS.admin.id, name: USERS.admin.name },
        target: { type: 'session', id },
        requestId,
        changes: {
          user: { after: { id: USERS.admin.id, name: USERS.admin.name, email: USERS.admin.email } },
          scopes: { after: ['keys:manage', 'clients:manage', 'models:manage', 'usage:admin', 'audit:read'] },
        },
      });
      expect(ended).toMatchObject({
        actor: { type: 'user', id: USERS.admin.id },
        target: { type: 'session', id },
        userAgent: 'console-test',
      });
      const text = JSON.stringify(items);
      for (const value of [secret, sha256(secret), csrfToken]) expect(text).not.toContain(value);
    });

    it('should record nothing for a sign-in that starts no session', async () => {
      const [{ count: before }] = await db.query<{ count: string }[]>(
        `SELECT count(*) FROM audit_events WHERE action LIKE 'session.%' AND actor_id = $1`,
        [USERS.outsider.id],
      );
      await signIn(new Browser(), idp, server.url, USERS.outsider);
      const [{ count: after }] = await db.query<{ count: string }[]>(
        `SELECT count(*) FROM audit_events WHERE action LIKE 'session.%' AND actor_id = $1`,
        [USERS.outsider.id],
      );
      expect(after).toBe(before);
    });

    it('should stop accepting a session once it expires', async () => {
      const browser = new Browser();
      await signIn(browser, idp, server.url, USERS.viewer);
      const secret = browser.cookie(server.url, 'mg_session')!;
      await db.query(`UPDATE sessions SET expires_at = now() + interval '1500 milliseconds' WHERE token_hash = $1`, [
        sha256(secret),
      ]);
      expect((await browser.fetch(`${server.url}/v1/models`)).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 1700));
      const expired = await browser.fetch(`${server.url}/v1/models`);
      const body = await problem(expired, 401, 'unauthorized');
      expect(body.detail).toMatch(/expired/);
      await problem(await browser.fetch(`${server.url}/auth/session`), 401, 'unauthorized');
    });

    it('should refuse a cookie that is no session', async () => {
      const browser = new Browser();
      browser.setCookie(server.url, 'mg_session', 'A'.repeat(43));
      await problem(await browser.fetch(`${server.url}/v1/models`), 401, 'unauthorized');
      browser.setCookie(server.url, 'mg_session', 'not a session\u00e9');
      await problem(await browser.fetch(`${server.url}/v1/models`), 401, 'unauthorized');
      // Open routes do not look at it.
      expect((await browser.fetch(`${server.url}/health/live`)).status).toBe(200);
    });
  });
});

describe('Admin sign-in (SSO) configured otherwise', () => {
  it('should take the groups from the ID token, under another (nested) claim', async () => {
    const fixture = await startSsoServer(
      { SSO_ROLES_CLAIM: 'roles', SESSION_TTL_SECONDS: '600' },
      { claimsIn: 'id_token', rolesClaim: 'roles' },
    );
    try {
      const browser = new Browser();
      const response = await signIn(browser, fixture.idp, fixture.server.url, {
        ...USERS.viewer,
        groups: ['ml-admins'],
      });
      expect(response.status).toBe(302);
      expect(setCookies(response).mg_session).toMatch(/; Max-Age=600;/);
      expect((await sessionOf(browser, fixture.server.url)).scopes).toContain('keys:manage');
    } finally {
      await fixture.close();
    }
  });

  it('should limit and meter a session like an admin key (the platform default, per user)', async () => {
    const fixture = await startSsoServer({ RATE_LIMIT_DEFAULT_RPM: '3' });
    try {
      const { server, idp } = fixture;
      const calls = async (headers: (n: number) => Promise<Response>) => {
        const statuses: number[] = [];
        for (let n = 0; n < 4; n++) statuses.push((await headers(n)).status);
        return statuses;
      };
      const browser = new Browser();
      const user = { ...USERS.admin, id: `u-metered-${Date.now()}` };
      await signIn(browser, idp, server.url, user);
      const limited = await browser.fetch(`${server.url}/v1/admin/api-keys`);
      expect(limited.headers.get('ratelimit-policy')).toMatch(/^"?[\w-]*"?;?\s*q=3/);
      expect(await calls(() => browser.fetch(`${server.url}/v1/admin/api-keys`))).toEqual([200, 200, 429, 429]);
      // The same limit as an admin key without its own.
      const adminKey = await createAdminKey(server);
      const keyCall = () => fetch(`${server.url}/v1/admin/api-keys`, { headers: { 'x-api-key': adminKey } });
      expect(await calls(keyCall)).toEqual([200, 200, 200, 429]);
      // Metered to the user (principal type `user`), like any other call.
      const db = server.app.get(DataSource);
      await eventually(async () => {
        const rows = await db.query<{ status: number }[]>(
          `SELECT status FROM usage_events WHERE principal_type = 'user' AND principal_id = $1`,
          [user.id],
        );
        return rows.filter((row) => row.status === 200).length === 3 && rows.some((row) => row.status === 429);
      }, 10_000);
    } finally {
      await fixture.close();
    }
  });

  it('should refuse more than 120 sign-ins started from one IP in a minute (each stores a row)', async () => {
    const fixture = await startSsoServer();
    try {
      const start = () => fetch(`${fixture.server.url}/auth/sso/login`, { redirect: 'manual' });
      for (let n = 0; n < 120; n++) expect((await start()).status).toBe(302);
      const refused = await start();
      await problem(refused, 429, 'too_many_requests');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await fixture.close();
    }
  });

  it('should answer 404 on /auth/sso/* when SSO is off, and 401 on /auth/session', async () => {
    const server = await startTestApp();
    try {
      await problem(await fetch(`${server.url}/auth/sso/login`), 404, 'sso_disabled');
      await problem(await fetch(`${server.url}/auth/sso/callback?code=x&state=y`), 404, 'sso_disabled');
      await problem(await fetch(`${server.url}/auth/session`), 401, 'unauthorized');
    } finally {
      await server.close();
    }
  });

  it('should answer 502 when the provider cannot be reached', async () => {
    const server = await startTestApp({
      SSO_ISSUER: 'http://127.0.0.1:9',
      SSO_CLIENT_ID: 'modelgate',
      SSO_CLIENT_SECRET: 'secret',
      SSO_ROLE_SCOPES: '{"ml-admins":["keys:manage"]}',
    });
    try {
      await problem(
        await fetch(`${server.url}/auth/sso/login`, { redirect: 'manual' }),
        502,
        'sso_provider_unavailable',
      );
    } finally {
      await server.close();
    }
  });
});
