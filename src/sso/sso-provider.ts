import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createRemoteJWKSet, JWTPayload, jwtVerify } from 'jose';
import { DomainError } from '../common/errors/domain.error';
import { Configuration } from '../config/configuration';
import { SsoProviderConfig } from '../config/sso.config';
import { SsoErrorCode } from './sso.errors';

/** The provider's endpoints: from SSO_ISSUER's discovery document, each overridden by its own setting. */
export interface ProviderEndpoints {
  /** Known with SSO_ISSUER: ID tokens are then verified against the provider's JWKS. */
  issuer?: string;
  authorizationUrl: string;
  tokenUrl: string;
  userinfoUrl?: string;
  verifyIdToken?: (idToken: string) => Promise<JWTPayload>;
}

const TIMEOUT_MS = 10_000;
/** ID tokens are signed with the provider's keys: never `none`, never a shared secret. */
const ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];

/**
 * The organisation's identity provider as configured (SSO_*): discovered once, at the first sign-in
 * (a provider down at start-up must not stop the platform from serving), again after a failure.
 */
@Injectable()
export class SsoProvider {
  private readonly logger = new Logger(SsoProvider.name);
  readonly settings?: SsoProviderConfig;
  private discovered?: Promise<ProviderEndpoints>;

  constructor(config: ConfigService<Configuration, true>) {
    this.settings = config.get('sso', { infer: true }).provider;
  }

  /** The settings, or 404 `sso_disabled` when SSO is off. */
  require(): SsoProviderConfig {
    if (!this.settings) throw new DomainError(SsoErrorCode.Disabled, 'Single sign-on is not configured.');
    return this.settings;
  }

  endpoints(): Promise<ProviderEndpoints> {
    const settings = this.require();
    this.discovered ??= this.discover(settings).catch((error: unknown) => {
      this.discovered = undefined;
      throw error;
    });
    return this.discovered;
  }

  private async discover(settings: SsoProviderConfig): Promise<ProviderEndpoints> {
    if (!settings.issuer) {
      return {
        authorizationUrl: settings.authorizationUrl!,
        tokenUrl: settings.tokenUrl!,
        userinfoUrl: settings.userinfoUrl,
      };
    }
    const issuer = settings.issuer;
    const document = await fetchJson(`${issuer}/.well-known/openid-configuration`, 'discovery document');
    const text = (name: string) => (typeof document[name] === 'string' ? document[name] : undefined);
    // OpenID Connect Discovery §4.3: the document's issuer is exactly the one asked for.
    if (text('issuer')?.replace(/\/+$/, '') !== issuer) {
      throw unavailable(`The provider's discovery document names another issuer than SSO_ISSUER.`);
    }
    const authorizationUrl = settings.authorizationUrl ?? text('authorization_endpoint');
    const tokenUrl = settings.tokenUrl ?? text('token_endpoint');
    const jwksUri = text('jwks_uri');
    if (!authorizationUrl || !tokenUrl || !jwksUri) {
      throw unavailable('The provider’s discovery document lacks authorization_endpoint, token_endpoint or jwks_uri.');
    }
    const keys = createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: TIMEOUT_MS });
    const documentIssuer = text('issuer')!;
    this.logger.log({ issuer }, 'Discovered the SSO provider');
    return {
      issuer,
      authorizationUrl,
      tokenUrl,
      userinfoUrl: settings.userinfoUrl ?? text('userinfo_endpoint'),
      verifyIdToken: async (idToken) => {
        const { payload } = await jwtVerify(idToken, keys, {
          issuer: documentIssuer,
          audience: settings.clientId,
          algorithms: ALGORITHMS,
        });
        // OpenID Connect Core §3.1.3.7: with several audiences, the authorized party is this client.
        if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload.azp !== settings.clientId) {
          throw new Error('the ID token was issued to another party (azp)');
        }
        return payload;
      },
    };
  }
}

export function unavailable(message: string, cause?: unknown): DomainError {
  return new DomainError(SsoErrorCode.ProviderUnavailable, message, { cause });
}

/** GET a JSON object from the provider (502 `sso_provider_unavailable` for anything else). */
export async function fetchJson(
  url: string,
  what: string,
  headers: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { accept: 'application/json', ...headers },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    throw unavailable(`The identity provider could not be reached for its ${what}.`, error);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw unavailable(`The identity provider answered ${response.status} for its ${what}.`);
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch (error) {
    throw unavailable(`The identity provider's ${what} is not JSON.`, error);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw unavailable(`The identity provider's ${what} is not a JSON object.`);
  }
  return body as Record<string, unknown>;
}
