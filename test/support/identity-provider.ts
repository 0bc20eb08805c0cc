import { randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { Adapter, AdapterPayload, Configuration, KoaContextWithOIDC } from 'oidc-provider';

/** Who the provider signs in: `id` is the subject (`sub`), `groups` goes into the roles claim. */
export interface IdentityProviderUser {
  id: string;
  name: string;
  email: string;
  groups: string[];
}

export interface IdentityProviderOptions {
  /** Redirect URIs the client may use at first; `allowRedirectUri` adds more at any time. */
  redirectUris?: string[];
  /** The claim that holds the user's groups (the app's `SSO_ROLES_CLAIM`); default `groups`. */
  rolesClaim?: string;
  /**
   * Where the user's claims go. `userinfo` (the default, as most providers do for the code flow): the ID
   * token holds `sub` only and the claims come from the userinfo endpoint. `id_token`: the ID token holds
   * them too.
   */
  claimsIn?: 'userinfo' | 'id_token';
  /** How the client authenticates at the token endpoint; default `client_secret_post` (passport-oauth2's). */
  tokenEndpointAuthMethod?: 'client_secret_post' | 'client_secret_basic';
}

export interface IdentityProvider {
  /** The issuer, e.g. `http://127.0.0.1:41234` (discovery at `/.well-known/openid-configuration`). */
  issuer: string;
  authorizationUrl: string;
  tokenUrl: string;
  userinfoUrl: string;
  jwksUrl: string;
  /** The one registered confidential client (PKCE S256 required). */
  clientId: string;
  clientSecret: string;
  /** The next login (the next interaction) signs this user in, without a form. */
  signInNext(user: IdentityProviderUser): void;
  /** The next login ends with `error=access_denied` (the user refused). */
  denyNext(): void;
  /** Registers one more redirect URI for the client (e.g. once the app's port is known). */
  allowRedirectUri(uri: string): void;
  /** Every authorization request the provider received (their query parameters), oldest first. */
  authorizationRequests(): URLSearchParams[];
  close(): Promise<void>;
}

/** The settings the application needs to use this provider (discovery through `SSO_ISSUER`). */
export function ssoEnv(idp: IdentityProvider, env: Record<string, string> = {}): Record<string, string> {
  return {
    SSO_ISSUER: idp.issuer,
    SSO_CLIENT_ID: idp.clientId,
    SSO_CLIENT_SECRET: idp.clientSecret,
    ...env,
  };
}

/**
 * A real OpenID Provider (panva's `oidc-provider`, certified) in this process on a free loopback port, with
 * one confidential client and an interaction handler that signs in the user chosen by the test: no login
 * form, no consent screen. Everything it stores lives in memory and dies with `close()`.
 */
export async function startIdentityProvider(options: IdentityProviderOptions = {}): Promise<IdentityProvider> {
  const rolesClaim = options.rolesClaim ?? 'groups';
  const clientId = 'modelgate';
  const clientSecret = randomBytes(32).toString('base64url');
  const redirectUris = new Set(options.redirectUris ?? []);
  const users = new Map<string, IdentityProviderUser>();
  const next: (IdentityProviderUser | 'deny')[] = [];
  const authorizationRequests: URLSearchParams[] = [];

  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingKey = {
    ...(await exportJWK(privateKey)),
    kid: randomBytes(8).toString('hex'),
    alg: 'RS256',
    use: 'sig',
  };

  // The client is served by the adapter (not the static `clients` list) so that its redirect URIs can grow.
  const client = (): AdapterPayload => ({
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [...redirectUris],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: options.tokenEndpointAuthMethod ?? 'client_secret_post',
  });

  const configuration: Configuration = {
    adapter: memoryAdapter(client, clientId),
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    claims: {
      openid: ['sub'],
      profile: ['name', rolesClaim],
      email: ['email', 'email_verified'],
      [rolesClaim]: [rolesClaim],
    },
    scopes: ['openid', 'offline_access', 'profile', 'email', rolesClaim],
    conformIdTokenClaims: options.claimsIn !== 'id_token',
    pkce: { required: () => true },
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // First-party client: every requested scope and claim is granted without a consent screen.
    loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
      const { oidc } = ctx;
      if (!oidc.client || !oidc.session?.accountId) return undefined;
      const existing = oidc.session.grantIdFor(oidc.client.clientId);
      if (existing) {
        const found = await oidc.provider.Grant.find(existing);
        if (found) return found;
      }
      const grant = new oidc.provider.Grant({ clientId: oidc.client.clientId, accountId: oidc.session.accountId });
      grant.addOIDCScope([...oidc.requestParamScopes].join(' '));
      grant.addOIDCClaims([...oidc.requestParamClaims]);
      await grant.save();
      oidc.session.grantIdFor(oidc.client.clientId, grant.jti);
      return grant;
    },
    findAccount: (_ctx, sub) => {
      const user = users.get(sub);
      if (!user) return undefined;
      return {
        accountId: sub,
        claims: () => ({
          sub,
          name: user.name,
          email: user.email,
          email_verified: true,
          [rolesClaim]: user.groups,
        }),
      };
    },
  };
  const provider = new Provider(issuer, configuration);
  const callback = provider.callback();

  async function interaction(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const details = await provider.interactionDetails(req, res);
    const chosen = next.shift();
    if (chosen === undefined || chosen === 'deny') {
      const description = chosen === 'deny' ? 'the user refused' : 'the test chose no user for this login';
      await provider.interactionFinished(req, res, { error: 'access_denied', error_description: description });
      return;
    }
    if (details.prompt.name !== 'login') {
      // Consent is granted by loadExistingGrant; anything else is a configuration error of this helper.
      throw new Error(`unexpected interaction prompt ${details.prompt.name}`);
    }
    users.set(chosen.id, chosen);
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: chosen.id } },
      { mergeWithLastSubmission: false },
    );
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', issuer);
    if (url.pathname === '/auth') authorizationRequests.push(url.searchParams);
    if (url.pathname.startsWith('/interaction/')) {
      interaction(req, res).catch((error: unknown) => {
        res.statusCode = 500;
        res.end(String(error));
      });
      return;
    }
    void callback(req, res);
  });

  return {
    issuer,
    authorizationUrl: `${issuer}/auth`,
    tokenUrl: `${issuer}/token`,
    userinfoUrl: `${issuer}/me`,
    jwksUrl: `${issuer}/jwks`,
    clientId,
    clientSecret,
    signInNext: (user) => void next.push(user),
    denyNext: () => void next.push('deny'),
    allowRedirectUri: (uri) => void redirectUris.add(uri),
    authorizationRequests: () => [...authorizationRequests],
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** oidc-provider's storage, in memory: the client from `client()`, everything else in maps with expiry. */
function memoryAdapter(client: () => AdapterPayload, clientId: string): (model: string) => Adapter {
  const records = new Map<string, { payload: AdapterPayload; expiresAt: number }>();
  const uids = new Map<string, string>();
  const live = (key: string | undefined) => {
    const record = key === undefined ? undefined : records.get(key);
    if (!record) return undefined;
    if (record.expiresAt <= Date.now()) {
      records.delete(key!);
      return undefined;
    }
    return record.payload;
  };
  return (model: string): Adapter => {
    const key = (id: string) => `${model}:${id}`;
    return {
      upsert: async (id, payload, expiresIn) => {
        records.set(key(id), { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : Infinity });
        if (payload.uid) uids.set(`${model}:${payload.uid}`, key(id));
        await Promise.resolve();
      },
      find: async (id) => {
        await Promise.resolve();
        if (model === 'Client') return id === clientId ? client() : undefined;
        return live(key(id));
      },
      findByUid: async (uid) => {
        await Promise.resolve();
        return live(uids.get(`${model}:${uid}`));
      },
      findByUserCode: async () => {
        await Promise.resolve();
        return undefined;
      },
      consume: async (id) => {
        await Promise.resolve();
        const payload = live(key(id));
        if (payload) payload.consumed = Math.floor(Date.now() / 1000);
      },
      destroy: async (id) => {
        await Promise.resolve();
        records.delete(key(id));
      },
      revokeByGrantId: async (grantId) => {
        await Promise.resolve();
        for (const [stored, record] of records) if (record.payload.grantId === grantId) records.delete(stored);
      },
    };
  };
}
