import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../support/browser';
import { eventually } from '../support/credentials';
import { IdentityProvider, ssoEnv, startIdentityProvider } from '../support/identity-provider';
import { freePort, ServerProcess, startServerProcess } from '../support/server-process';
import { ROLE_SCOPES, sessionOf, signIn, USERS } from '../support/sso-server';

const withRealPostgres = process.env.DATABASE_URL ? describe : describe.skip;

/** Two server processes on one database, as behind a load balancer: a session is everyone's, and so is its end. */
withRealPostgres('Sessions across two instances', () => {
  let idp: IdentityProvider;
  let first: ServerProcess;
  let second: ServerProcess;

  beforeAll(async () => {
    idp = await startIdentityProvider();
    const [firstPort, secondPort] = [await freePort(), await freePort()];
    const env = (port: number) =>
      ssoEnv(idp, {
        DATABASE_URL: process.env.DATABASE_URL!,
        BOOTSTRAP_ADMIN_KEY: 'false',
        LOG_LEVEL: 'warn',
        WORKERS: '1',
        CREDENTIAL_POLL_INTERVAL_MS: '500',
        SSO_ROLE_SCOPES: JSON.stringify(ROLE_SCOPES),
        PUBLIC_URL: `http://127.0.0.1:${port}`,
      });
    for (const port of [firstPort, secondPort]) idp.allowRedirectUri(`http://127.0.0.1:${port}/auth/sso/callback`);
    [first, second] = await Promise.all([
      startServerProcess(env(firstPort), { port: firstPort }),
      startServerProcess(env(secondPort), { port: secondPort }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([first?.stop(), second?.stop()]);
    await idp?.close();
  });

  it('should accept a session started on one instance on the other, and end it on both at logout', async () => {
    // One browser: cookies belong to the host, whatever the port (as in browsers), so both instances get it.
    const browser = new Browser();
    expect((await signIn(browser, idp, first.url, USERS.admin)).status).toBe(302);
    const { csrfToken } = await sessionOf(browser, second.url);
    // Both instances now hold the session in their caches.
    expect((await browser.fetch(`${first.url}/v1/admin/api-keys`)).status).toBe(200);
    expect((await browser.fetch(`${second.url}/v1/admin/api-keys`)).status).toBe(200);

    const secret = browser.cookie(first.url, 'mg_session')!;

    const logout = await browser.fetch(`${first.url}/auth/logout`, {
      method: 'POST',
      headers: { 'x-csrf-token': csrfToken },
    });
    expect(logout.status).toBe(204);
    expect(browser.cookie(first.url, 'mg_session')).toBeUndefined();

    // Someone who kept the cookie finds it refused on both instances: on the other one through the
    // change feed (within its poll interval), well before its cache's own expiry (10 s).
    const kept = new Browser();
    kept.setCookie(first.url, 'mg_session', secret);
    expect((await kept.fetch(`${first.url}/v1/admin/api-keys`)).status).toBe(401);
    const elapsed = await eventually(
      async () => (await kept.fetch(`${second.url}/v1/admin/api-keys`)).status === 401,
      5_000,
    );
    expect(elapsed).toBeLessThan(5_000);
    expect((await kept.fetch(`${second.url}/auth/session`)).status).toBe(401);
  });
});
