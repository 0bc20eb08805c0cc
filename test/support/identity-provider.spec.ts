import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from './browser';
import { IdentityProvider, startIdentityProvider } from './identity-provider';

// The test identity provider is itself tested with an independent relying party (openid-client).
describe('startIdentityProvider', () => {
  const redirectUri = 'http://127.0.0.1:9/callback';
  const alice = { id: 'u-alice', name: 'Alice Admin', email: 'alice@example.com', groups: ['ml-admins', 'staff'] };
  let idp: IdentityProvider;
  let config: oidc.Configuration;

  beforeAll(async () => {
    idp = await startIdentityProvider();
    idp.allowRedirectUri(redirectUri);
    config = await oidc.discovery(
      new URL(idp.issuer),
      idp.clientId,
      undefined,
      oidc.ClientSecretPost(idp.clientSecret),
      {
        execute: [oidc.allowInsecureRequests],
      },
    );
  });

  afterAll(async () => {
    await idp.close();
  });

  async function authorize(parameters: Record<string, string>) {
    const browser = new Browser();
    const visit = await browser.visit(oidc.buildAuthorizationUrl(config, parameters), (next) =>
      next.href.startsWith(redirectUri),
    );
    return visit.url;
  }

  it('should discover the endpoints it documents', () => {
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(idp.issuer);
    expect(metadata.authorization_endpoint).toBe(idp.authorizationUrl);
    expect(metadata.token_endpoint).toBe(idp.tokenUrl);
    expect(metadata.userinfo_endpoint).toBe(idp.userinfoUrl);
    expect(metadata.jwks_uri).toBe(idp.jwksUrl);
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
  });

  it('should sign in the chosen user through the code flow with PKCE, claims from userinfo', async () => {
    idp.signInNext(alice);
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const callback = await authorize({
      redirect_uri: redirectUri,
      scope: 'openid profile email',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    expect(callback.searchParams.get('state')).toBe(state);
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
    });
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({ iss: idp.issuer, aud: idp.clientId, sub: alice.id, nonce });
    expect(claims.groups).toBeUndefined();
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, alice.id);
    expect(userinfo).toMatchObject({ sub: alice.id, name: alice.name, email: alice.email, groups: alice.groups });
    expect(idp.authorizationRequests().at(-1)?.get('state')).toBe(state);
  });

  it('should put the claims in the ID token and use another roles claim when asked', async () => {
    const other = await startIdentityProvider({
      claimsIn: 'id_token',
      rolesClaim: 'roles',
      redirectUris: [redirectUri],
    });
    try {
      const otherConfig = await oidc.discovery(
        new URL(other.issuer),
        other.clientId,
        undefined,
        oidc.ClientSecretPost(other.clientSecret),
        { execute: [oidc.allowInsecureRequests] },
      );
      other.signInNext({ ...alice, groups: ['operators'] });
      const verifier = oidc.randomPKCECodeVerifier();
      const visit = await new Browser().visit(
        oidc.buildAuthorizationUrl(otherConfig, {
          redirect_uri: redirectUri,
          scope: 'openid profile email',
          code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
        }),
        (next) => next.href.startsWith(redirectUri),
      );
      const tokens = await oidc.authorizationCodeGrant(otherConfig, visit.url, { pkceCodeVerifier: verifier });
      expect(tokens.claims()).toMatchObject({ sub: alice.id, email: alice.email, roles: ['operators'] });
    } finally {
      await other.close();
    }
  });

  it('should refuse an authorization request without PKCE', async () => {
    const callback = await authorize({ redirect_uri: redirectUri, scope: 'openid' });
    expect(callback.searchParams.get('error')).toBe('invalid_request');
    expect(callback.searchParams.get('error_description')).toMatch(/PKCE/);
  });

  it('should refuse a code redeemed twice and a wrong verifier', async () => {
    idp.signInNext(alice);
    const verifier = oidc.randomPKCECodeVerifier();
    const challenge = await oidc.calculatePKCECodeChallenge(verifier);
    const callback = await authorize({
      redirect_uri: redirectUri,
      scope: 'openid',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    await expect(
      oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: oidc.randomPKCECodeVerifier() }),
    ).rejects.toMatchObject({ error: 'invalid_grant' });
    // A failed redemption does not burn the code in oidc-provider; a second successful one does.
    await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier });
    await expect(oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier })).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('should end the next login with access_denied when told to, or when no user was chosen', async () => {
    idp.denyNext();
    const parameters = {
      redirect_uri: redirectUri,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    };
    expect((await authorize(parameters)).searchParams.get('error')).toBe('access_denied');
    expect((await authorize(parameters)).searchParams.get('error')).toBe('access_denied');
  });
});
