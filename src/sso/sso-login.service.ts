import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { DomainError } from '../common/errors/domain.error';
import { CommonErrorCode } from '../common/errors/error-codes';
import { randomBase62 } from '../common/secrets';
import { Configuration } from '../config/configuration';
import { SessionsService } from '../sessions/sessions.service';
import { serializeCookie } from '../sessions/session-secret';
import { LOGIN_COOKIE, LOGIN_COOKIE_PATH, LOGIN_TTL_SECONDS } from './login-secrets';
import { LoginStatesRepository } from './login-states.repository';
import { userOf, verifiedClaims } from './claims';
import { FlowOutcome, FlowRequest, OAuth2Flow } from './oauth2-flow';
import { safeReturnTo } from './return-to';
import { groupsOf, scopesOfGroups } from './roles';
import { fetchJson, ProviderEndpoints, SsoProvider, unavailable } from './sso-provider';
import { SsoErrorCode } from './sso.errors';

const LOGINS_PER_IP_PER_MINUTE = 120;

/** A redirect and the cookies to set with it. */
export interface SsoRedirect {
  location: string;
  cookies: string[];
}

/** Sign-in through the organisation's provider: the redirect to it, then the callback that starts a session. */
@Injectable()
export class SsoLoginService {
  private readonly logger = new Logger(SsoLoginService.name);
  private readonly publicUrl: string;
  private readonly secureCookies: boolean;
  private flow?: { endpoints: ProviderEndpoints; flow: OAuth2Flow };
  /** Sign-ins started per caller IP and minute, per instance: each stores a row until it is used or expires. */
  private readonly starts = new RateLimiterMemory({ points: LOGINS_PER_IP_PER_MINUTE, duration: 60 });

  constructor(
    private readonly provider: SsoProvider,
    private readonly states: LoginStatesRepository,
    private readonly sessions: SessionsService,
    config: ConfigService<Configuration, true>,
  ) {
    this.publicUrl = config.get('app', { infer: true }).publicUrl;
    this.secureCookies = this.publicUrl.startsWith('https:');
  }

  /** `GET /auth/sso/login`: to the provider, this browser's half of the sign-in in a cookie. */
  async login(returnTo: unknown, ip: string): Promise<SsoRedirect> {
    const settings = this.provider.require();
    await this.starts.consume(ip).catch((refused: unknown) => {
      const retryAfterSeconds = refused instanceof RateLimiterRes ? Math.ceil(refused.msBeforeNext / 1000) : 60;
      throw new DomainError(CommonErrorCode.TooManyRequests, 'Too many sign-ins started from here: wait a minute.', {
        retryAfterSeconds,
      });
    });
    const browserSecret = randomBase62(43);
    const request: FlowRequest = {
      query: {},
      login: {
        browserSecret,
        nonce: settings.scopes.includes('openid') ? randomBase62(32) : undefined,
        returnTo: safeReturnTo(returnTo, this.publicUrl),
      },
    };
    const outcome = await (await this.oauth2()).begin(request);
    if (outcome.kind !== 'redirect') throw this.failure(outcome);
    return { location: outcome.url, cookies: [this.loginCookie(browserSecret, LOGIN_TTL_SECONDS)] };
  }

  /** `GET /auth/sso/callback`: the code exchanged, the user's groups mapped to scopes, a session started. */
  async callback(query: Record<string, unknown>, browserSecret: string | undefined): Promise<SsoRedirect> {
    const settings = this.provider.require();
    const endpoints = await this.provider.endpoints();
    const clear = this.loginCookie('', 0);
    if (typeof query.error === 'string') {
      throw new DomainError(
        query.error === 'access_denied' ? SsoErrorCode.AccessDenied : SsoErrorCode.LoginFailed,
        query.error === 'access_denied'
          ? 'The identity provider did not sign you in (access_denied).'
          : 'The identity provider refused the sign-in request.',
      );
    }
    // RFC 9207: a provider that names itself in the response must be the one configured (mix-up attacks).
    if (query.iss !== undefined && endpoints.issuer && query.iss !== endpoints.issuer) {
      throw new DomainError(SsoErrorCode.LoginFailed, 'The response comes from another identity provider.');
    }
    if (!browserSecret) {
      throw new DomainError(SsoErrorCode.InvalidState, 'This sign-in was not started in this browser: start again.');
    }
    if (typeof query.code !== 'string' || query.code === '' || typeof query.state !== 'string') {
      throw new DomainError(SsoErrorCode.InvalidState, 'The callback needs the provider’s code and state.');
    }
    const request: FlowRequest = {
      query: { code: query.code, state: query.state },
      login: { browserSecret, returnTo: '' },
    };
    const outcome = await (await this.oauth2()).complete(request);
    if (outcome.kind !== 'success') throw this.failure(outcome);
    const user = userOf(outcome.claims);
    const groups = groupsOf(outcome.claims, settings.rolesClaim);
    const scopes = scopesOfGroups(groups, settings.roleScopes);
    if (scopes.length === 0) {
      this.logger.warn({ userId: user.id, groups }, 'SSO sign-in refused: no group maps to a scope');
      throw new DomainError(
        SsoErrorCode.NoRole,
        'None of your groups grants access to Modelgate: ask an administrator.',
      );
    }
    const started = await this.sessions.start(user, scopes);
    this.logger.log({ userId: user.id, sessionId: started.session.id, scopes }, 'SSO sign-in');
    return { location: request.login.returnTo, cookies: [started.cookie, clear] };
  }

  private async oauth2(): Promise<OAuth2Flow> {
    const endpoints = await this.provider.endpoints();
    if (this.flow?.endpoints !== endpoints) {
      const settings = this.provider.require();
      const flow = new OAuth2Flow(
        endpoints,
        {
          clientId: settings.clientId,
          clientSecret: settings.clientSecret,
          callbackUrl: `${this.publicUrl}/auth/sso/callback`,
          scopes: settings.scopes,
        },
        this.states,
        (request, tokens) => verifiedClaims(endpoints, request.login.nonce, tokens),
        (url, accessToken) => fetchJson(url, 'userinfo', { authorization: `Bearer ${accessToken}` }),
      );
      this.flow = { endpoints, flow };
    }
    return this.flow.flow;
  }

  private failure(outcome: FlowOutcome): DomainError {
    if (outcome.kind === 'fail') {
      return new DomainError(
        SsoErrorCode.InvalidState,
        `The sign-in state is not valid (${outcome.reason ?? 'refused'}): start again at /auth/sso/login.`,
      );
    }
    const error = outcome.kind === 'error' ? outcome.error : new Error(`unexpected ${outcome.kind}`);
    if (error instanceof DomainError) return error;
    const name = error instanceof Error ? error.name : '';
    if (name === 'TokenError') {
      const code = (error as { code?: unknown }).code;
      return new DomainError(
        SsoErrorCode.LoginFailed,
        `The identity provider refused the code (${typeof code === 'string' ? code.slice(0, 40) : 'error'}): start again.`,
      );
    }
    if (name === 'InternalOAuthError') return unavailable('The identity provider’s token endpoint failed.', error);
    return error as DomainError; // the database, a bug: normalised by the error filter
  }

  private loginCookie(value: string, maxAgeSeconds: number): string {
    return serializeCookie(LOGIN_COOKIE, value, { path: LOGIN_COOKIE_PATH, maxAgeSeconds, secure: this.secureCookies });
  }
}
