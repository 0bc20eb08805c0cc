import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { FastifyRequest } from 'fastify';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { unstorableText } from '../common/http/input-hygiene';
import { digestsEqual, sha256 } from '../common/secrets';
import { Configuration } from '../config/configuration';
import { OAuthClientEntity } from './oauth-client.entity';
import { OAuthClientsRepository } from './oauth-clients.repository';
import { OAuthErrorCode, oauthError } from './oauth.errors';

export type FormBody = Record<string, string | string[] | undefined>;

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
  method: 'client_secret_basic' | 'client_secret_post';
}

/**
 * Client authentication for the token, introspection and revocation endpoints (RFC 6749 §2.3.1):
 * `client_secret_basic` or `client_secret_post`, never both. Failures are counted per client id and
 * per IP; past OAUTH_MAX_FAILED_ATTEMPTS in OAUTH_LOCKOUT_SECONDS the caller is locked out (429).
 */
@Injectable()
export class ClientAuthenticator {
  private readonly clientFailures: RateLimiterMemory;
  private readonly ipFailures: RateLimiterMemory;

  constructor(
    private readonly repository: OAuthClientsRepository,
    config: ConfigService<Configuration, true>,
  ) {
    const auth = config.get('auth', { infer: true });
    this.clientFailures = new RateLimiterMemory({ points: auth.maxFailedAttempts, duration: auth.lockoutSeconds });
    this.ipFailures = new RateLimiterMemory({ points: auth.maxFailedAttemptsPerIp, duration: auth.lockoutSeconds });
  }

  /** The credentials the request presents, or undefined when it presents none. */
  credentials(request: FastifyRequest, body: FormBody): ClientCredentials | undefined {
    const authorization = request.headers.authorization;
    const basic = typeof authorization === 'string' && /^basic\s/i.test(authorization);
    const postId = single(body, 'client_id');
    const postSecret = single(body, 'client_secret');
    if (basic && postSecret !== undefined) {
      throw oauthError(OAuthErrorCode.InvalidRequest, 'Use one client authentication method, not both.');
    }
    if (basic) return parseBasic(authorization);
    if (postId === undefined && postSecret === undefined) return undefined;
    if (!postId || !postSecret)
      throw invalidClient('client_secret_post', 'Both client_id and client_secret are required.');
    return { clientId: postId, clientSecret: postSecret, method: 'client_secret_post' };
  }

  async authenticate(credentials: ClientCredentials, ip: string): Promise<OAuthClientEntity> {
    const counters: [RateLimiterMemory, string][] = [
      [this.clientFailures, credentials.clientId],
      [this.ipFailures, ip],
    ];
    for (const [counter, key] of counters) await assertNotLocked(counter, key);
    const client = await this.repository.findForAuthentication(credentials.clientId);
    if (!client || !secretMatches(client, credentials.clientSecret)) {
      await Promise.all(counters.map(([counter, key]) => counter.penalty(key, 1)));
      throw invalidClient(credentials.method, 'Client authentication failed.');
    }
    return client;
  }
}

async function assertNotLocked(counter: RateLimiterMemory, key: string): Promise<void> {
  const state: RateLimiterRes | null = await counter.get(key);
  if (state && state.remainingPoints <= 0) {
    throw oauthError(OAuthErrorCode.TemporarilyUnavailable, 'Too many failed client authentications; retry later.', {
      retryAfterSeconds: Math.ceil(state.msBeforeNext / 1000),
    });
  }
}

function single(body: FormBody, name: string): string | undefined {
  const value = body[name];
  if (Array.isArray(value)) throw oauthError(OAuthErrorCode.InvalidRequest, `Parameter ${name} is repeated.`);
  return value;
}

function parseBasic(authorization: string): ClientCredentials {
  const decoded = Buffer.from(authorization.replace(/^basic\s+/i, ''), 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  if (separator <= 0) throw invalidClient('client_secret_basic', 'Malformed Basic credentials.');
  let credentials: ClientCredentials;
  try {
    // RFC 6749 §2.3.1: both parts are form-urlencoded before Basic encoding.
    credentials = {
      clientId: decodeURIComponent(decoded.slice(0, separator).replace(/\+/g, ' ')),
      clientSecret: decodeURIComponent(decoded.slice(separator + 1).replace(/\+/g, ' ')),
      method: 'client_secret_basic',
    };
  } catch {
    throw invalidClient('client_secret_basic', 'Malformed Basic credentials.');
  }
  // The form fields are checked by the body parser; these come from a header.
  const problem = unstorableText(credentials.clientId) ?? unstorableText(credentials.clientSecret);
  if (problem) throw oauthError(OAuthErrorCode.InvalidRequest, `The Basic credentials contain ${problem}.`);
  return credentials;
}

function secretMatches(client: OAuthClientEntity, secret: string): boolean {
  const hash = sha256(secret);
  if (digestsEqual(hash, client.secretHash)) return true;
  const graceActive =
    client.previousSecretHash && client.previousExpiresAt && client.previousExpiresAt.getTime() > Date.now();
  return Boolean(graceActive && digestsEqual(hash, client.previousSecretHash!));
}

export function invalidClient(method: ClientCredentials['method'], description: string) {
  return oauthError(OAuthErrorCode.InvalidClient, description, {
    headers: method === 'client_secret_basic' ? { 'WWW-Authenticate': 'Basic realm="modelgate", charset="UTF-8"' } : {},
  });
}
