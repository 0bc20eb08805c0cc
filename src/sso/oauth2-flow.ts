import OAuth2Strategy from 'passport-oauth2';
import { digestsEqual, randomBase62, sha256 } from '../common/secrets';
import { decryptVerifier, encryptVerifier, LOGIN_TTL_SECONDS } from './login-secrets';
import { LoginStatesRepository } from './login-states.repository';
import { ProviderEndpoints } from './sso-provider';

/** What passport-oauth2 is given as "the request": the callback's query and this sign-in's context. */
export interface FlowRequest {
  query: Record<string, unknown>;
  login: {
    /** The `mg_sso_login` cookie's value. */
    browserSecret: string;
    nonce?: string;
    returnTo: string;
    /** Why the state was refused, when it was. */
    rejected?: string;
  };
}

export type FlowOutcome =
  | { kind: 'redirect'; url: string }
  | { kind: 'success'; claims: Record<string, unknown> }
  | { kind: 'fail'; reason?: string }
  | { kind: 'error'; error: unknown };

/** Turns the provider's tokens (and userinfo) into the user's claims; throws when they do not verify. */
export type ClaimsVerifier = (
  request: FlowRequest,
  tokens: { idToken?: string; userinfo: Record<string, unknown> },
) => Promise<Record<string, unknown>>;

interface FlowSettings {
  clientId: string;
  clientSecret: string;
  callbackUrl: string;
  scopes: string[];
}

/** passport-oauth2 with the nonce (OpenID Connect) and userinfo (the provider's, with the access token). */
class ProviderStrategy extends OAuth2Strategy {
  constructor(
    options: OAuth2Strategy.StrategyOptionsWithRequest,
    verify: OAuth2Strategy.VerifyFunctionWithRequest,
    private readonly userinfoUrl: string | undefined,
    private readonly fetchUserinfo: (url: string, accessToken: string) => Promise<Record<string, unknown>>,
  ) {
    super(options, verify);
  }

  override authorizationParams(options: { nonce?: string }): object {
    return options.nonce ? { nonce: options.nonce } : {};
  }

  override userProfile(accessToken: string, done: (err?: unknown, profile?: unknown) => void): void {
    if (!this.userinfoUrl) return done(null, {});
    this.fetchUserinfo(this.userinfoUrl, accessToken).then(
      (claims) => done(null, claims),
      (error: unknown) => done(error),
    );
  }
}

/**
 * The authorization code flow (PKCE S256, `state`) with passport-oauth2, driven without Express or
 * passport's middleware: the strategy is given a plain request object, and its actions (redirect,
 * success, fail, error) settle a promise, as passport itself does with `Object.create(strategy)`. The
 * state store keeps each sign-in in PostgreSQL, bound to the browser's cookie (see LoginStateEntity).
 */
export class OAuth2Flow {
  private readonly strategy: ProviderStrategy;

  constructor(
    endpoints: ProviderEndpoints,
    settings: FlowSettings,
    states: LoginStatesRepository,
    verifyClaims: ClaimsVerifier,
    fetchUserinfo: (url: string, accessToken: string) => Promise<Record<string, unknown>>,
  ) {
    const store = {
      store(
        req: FlowRequest,
        verifier: string,
        _state: unknown,
        _meta: unknown,
        done: (e: unknown, s?: string) => void,
      ) {
        const state = randomBase62(43);
        states
          .insert({
            stateHash: sha256(state),
            browserHash: sha256(req.login.browserSecret),
            encryptedVerifier: encryptVerifier(verifier, req.login.browserSecret),
            nonce: req.login.nonce ?? null,
            returnTo: req.login.returnTo,
            expiresAt: new Date(Date.now() + LOGIN_TTL_SECONDS * 1000),
          })
          .then(() => done(null, state), done);
      },
      verify(req: FlowRequest, state: unknown, _meta: unknown, done: (e: unknown, ok?: string | false) => void) {
        const reject = (reason: string) => {
          req.login.rejected = reason;
          done(null, false);
        };
        if (typeof state !== 'string' || state.length === 0 || state.length > 200) return reject('no state');
        states.take(sha256(state)).then((found) => {
          if (!found) return reject('unknown or already used');
          if (!digestsEqual(sha256(req.login.browserSecret), found.browserHash)) return reject('another browser');
          if (found.expiresAt.getTime() <= Date.now()) return reject('expired');
          const verifier = decryptVerifier(found.encryptedVerifier, req.login.browserSecret);
          if (!verifier) return reject('another browser');
          req.login.nonce = found.nonce ?? undefined;
          req.login.returnTo = found.returnTo;
          done(null, verifier);
        }, done);
      },
    };
    this.strategy = new ProviderStrategy(
      {
        authorizationURL: endpoints.authorizationUrl,
        tokenURL: endpoints.tokenUrl,
        clientID: settings.clientId,
        clientSecret: settings.clientSecret,
        callbackURL: settings.callbackUrl,
        scope: settings.scopes,
        pkce: true,
        store: store as unknown as OAuth2Strategy.StateStore,
        passReqToCallback: true,
        skipUserProfile: false,
      },
      (
        req: unknown,
        _accessToken: string,
        _refreshToken: string,
        params: { id_token?: unknown },
        profile: Record<string, unknown>,
        verified: OAuth2Strategy.VerifyCallback,
      ) => {
        const idToken = typeof params.id_token === 'string' ? params.id_token : undefined;
        verifyClaims(req as FlowRequest, { idToken, userinfo: profile }).then(
          (claims) => verified(null, claims),
          (error: unknown) => verified(error),
        );
      },
      endpoints.userinfoUrl,
      fetchUserinfo,
    );
  }

  /** The authorization request (the redirect to the provider), its state stored. */
  begin(request: FlowRequest): Promise<FlowOutcome> {
    return this.run(request, { nonce: request.login.nonce });
  }

  /** The callback: the state taken, the code exchanged, the claims verified. */
  complete(request: FlowRequest): Promise<FlowOutcome> {
    return this.run(request, {});
  }

  private run(request: FlowRequest, options: object): Promise<FlowOutcome> {
    return new Promise<FlowOutcome>((resolve) => {
      const action = Object.create(this.strategy) as ProviderStrategy & Record<string, unknown>;
      action.redirect = (url: string) => resolve({ kind: 'redirect', url });
      action.success = (claims: Record<string, unknown>) => resolve({ kind: 'success', claims });
      action.fail = () => resolve({ kind: 'fail', reason: request.login.rejected });
      action.error = (error: unknown) => resolve({ kind: 'error', error });
      action.pass = () => resolve({ kind: 'fail' });
      try {
        action.authenticate(request as never, options);
      } catch (error) {
        resolve({ kind: 'error', error });
      }
    });
  }
}
