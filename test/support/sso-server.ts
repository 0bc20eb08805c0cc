import { expect } from 'vitest';
import { Browser, Visit } from './browser';
import {
  IdentityProvider,
  IdentityProviderOptions,
  IdentityProviderUser,
  ssoEnv,
  startIdentityProvider,
} from './identity-provider';
import { startTestApp, TestApp } from './test-app';

/** The group mapping the SSO tests configure (SSO_ROLE_SCOPES). */
export const ROLE_SCOPES = {
  'ml-admins': ['keys:manage', 'clients:manage', 'models:manage', 'usage:admin', 'audit:read'],
  'ml-viewers': ['models:read', 'usage:read'],
  'key-managers': ['keys:manage'],
};

export const USERS = {
  admin: { id: 'u-alice', name: 'Alice Admin', email: 'alice@example.com', groups: ['staff', 'ml-admins'] },
  viewer: { id: 'u-victor', name: 'Victor Viewer', email: 'victor@example.com', groups: ['ml-viewers'] },
  both: { id: 'u-bea', name: 'Bea Both', email: 'bea@example.com', groups: ['ml-viewers', 'key-managers'] },
  outsider: { id: 'u-oscar', name: 'Oscar Outsider', email: 'oscar@example.com', groups: ['staff', 'marketing'] },
} satisfies Record<string, IdentityProviderUser>;

export interface SsoServer {
  idp: IdentityProvider;
  server: TestApp;
  close(): Promise<void>;
}

/** The application signing admins in through a real OpenID Provider in this process. */
export async function startSsoServer(
  env: Record<string, string> = {},
  idpOptions: IdentityProviderOptions = {},
): Promise<SsoServer> {
  const idp = await startIdentityProvider(idpOptions);
  const server = await startTestApp(ssoEnv(idp, { SSO_ROLE_SCOPES: JSON.stringify(ROLE_SCOPES), ...env }));
  idp.allowRedirectUri(`${server.url}/auth/sso/callback`);
  return {
    idp,
    server,
    close: async () => {
      await server.close();
      await idp.close();
    },
  };
}

/** Starts signing in at `baseUrl` and follows the redirects up to (not into) the platform's callback. */
export async function toCallback(browser: Browser, baseUrl: string, returnTo?: string): Promise<URL> {
  const query = returnTo === undefined ? '' : `?returnTo=${encodeURIComponent(returnTo)}`;
  const visit = await browser.visit(
    `${baseUrl}/auth/sso/login${query}`,
    (next) => next.pathname === '/auth/sso/callback',
  );
  expect(visit.url.pathname).toBe('/auth/sso/callback');
  return visit.url;
}

/** Signs `user` in through the provider: the callback's response (not followed). */
export async function signIn(
  browser: Browser,
  idp: IdentityProvider,
  baseUrl: string,
  user: IdentityProviderUser,
  returnTo?: string,
): Promise<Response> {
  idp.signInNext(user);
  const callback = await toCallback(browser, baseUrl, returnTo);
  return browser.fetch(callback);
}

export interface SessionInfo {
  user: { id: string; name: string; email: string | null };
  scopes: string[];
  csrfToken: string;
  expiresAt: string;
}

export async function sessionOf(browser: Browser, baseUrl: string): Promise<SessionInfo> {
  const response = await browser.fetch(`${baseUrl}/auth/session`);
  expect(response.status).toBe(200);
  return (await response.json()) as SessionInfo;
}

export type { Visit };
