import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import { decodeProtectedHeader, JWTPayload, jwtVerify, SignJWT } from 'jose';
import { LRUCache } from 'lru-cache';
import { ChangeFeedService } from '../change-feed/change-feed.service';
import { Principal } from '../identity/principal';
import { isScope, Scope } from '../identity/scopes';
import { Configuration } from '../config/configuration';
import { ClientDirectory } from './client-directory';
import { OAuthClientEntity } from './oauth-client.entity';
import { OAuthClientsRepository } from './oauth-clients.repository';
import { clientPrincipal } from './client-principal';
import { SIGNING_ALG, SigningKeysService } from './signing-keys.service';

export interface AccessTokenClaims extends JWTPayload {
  client_id: string;
  scope: string;
  jti: string;
  exp: number;
  iat: number;
  sub: string;
}

/** Tokens whose signature and claims were verified, kept until they expire (at most this many). */
const VERIFIED_TOKENS = 10_000;

interface VerifiedToken {
  claims: AccessTokenClaims;
  kid: string | undefined;
}

export interface IssuedToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

/**
 * RFC 9068 JWT access tokens: issued here, verified locally with the published keys, with revoked
 * token ids and disabled clients known from the credential change feed.
 */
@Injectable()
export class TokenService implements OnApplicationBootstrap {
  private readonly revoked = new Set<string>();
  /**
   * A token is verified once (an ES256 check costs more than the rest of a small model's request);
   * a cached token still passes only while it is unexpired and its signing key is still published.
   */
  private readonly verified = new LRUCache<string, VerifiedToken>({ max: VERIFIED_TOKENS, ttlAutopurge: false });

  constructor(
    private readonly keys: SigningKeysService,
    private readonly clients: ClientDirectory,
    private readonly repository: OAuthClientsRepository,
    private readonly events: ChangeFeedService,
    private readonly config: ConfigService<Configuration, true>,
  ) {
    events.onChange((kind, ref) => {
      if (kind === 'token') this.revoked.add(ref);
    });
  }

  get issuer(): string {
    return this.config.get('app', { infer: true }).publicUrl;
  }

  get audience(): string {
    return this.config.get('auth', { infer: true }).audience ?? this.issuer;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.repository.deleteExpiredRevocations();
    for (const jti of await this.repository.unexpiredRevocations()) this.revoked.add(jti);
  }

  async issue(client: OAuthClientEntity, scopes: Scope[]): Promise<IssuedToken> {
    const ttl = client.tokenTtlSeconds ?? this.config.get('auth', { infer: true }).tokenTtlSeconds;
    const signer = this.keys.currentSigner();
    const scope = scopes.join(' ');
    const token = await new SignJWT({ client_id: client.clientId, scope })
      .setProtectedHeader({ alg: SIGNING_ALG, typ: 'at+jwt', kid: signer.kid })
      .setIssuer(this.issuer)
      .setSubject(client.clientId)
      .setAudience(this.audience)
      .setIssuedAt()
      .setExpirationTime(`${ttl}s`)
      .setJti(randomUUID())
      .sign(signer.key);
    return { access_token: token, token_type: 'Bearer', expires_in: ttl, scope };
  }

  /** Verifies signature, `typ`, algorithm, issuer, audience and expiry; undefined when any fails. */
  async verifySignature(token: string): Promise<AccessTokenClaims | undefined> {
    const known = this.verified.get(token);
    if (known) {
      if (known.claims.exp * 1000 > Date.now() && this.keys.verificationKey(known.kid)) return known.claims;
      this.verified.delete(token);
      return undefined;
    }
    try {
      const { payload } = await jwtVerify<AccessTokenClaims>(token, (header) => this.keyFor(header.kid), {
        issuer: this.issuer,
        audience: this.audience,
        algorithms: [SIGNING_ALG],
        typ: 'at+jwt',
        requiredClaims: ['jti', 'client_id', 'scope', 'sub', 'exp', 'iat'],
      });
      const ttl = payload.exp * 1000 - Date.now();
      if (ttl > 0) this.verified.set(token, { claims: payload, kid: decodeProtectedHeader(token).kid }, { ttl });
      return payload;
    } catch {
      return undefined;
    }
  }

  /** The principal a valid, unrevoked token of an enabled client stands for. */
  async authenticate(token: string): Promise<Principal | undefined> {
    const claims = await this.verifySignature(token);
    if (!claims || this.revoked.has(claims.jti)) return undefined;
    const client = await this.clients.activeClient(claims.client_id);
    if (!client) return undefined;
    // Scopes removed from the client since the token was issued no longer apply.
    const scopes = claims.scope
      .split(' ')
      .filter((scope): scope is Scope => isScope(scope) && client.scopes.includes(scope));
    return { ...clientPrincipal(client), scopes };
  }

  /** RFC 7662 answer for a token; only its own client or a clients:manage caller sees it active. */
  async introspect(token: string, callerClientId: string | undefined): Promise<Record<string, unknown>> {
    const claims = await this.verifySignature(token);
    if (!claims || this.revoked.has(claims.jti)) return { active: false };
    if (callerClientId !== undefined && callerClientId !== claims.client_id) return { active: false };
    if (!(await this.clients.activeClient(claims.client_id))) return { active: false };
    return {
      active: true,
      scope: claims.scope,
      client_id: claims.client_id,
      token_type: 'Bearer',
      exp: claims.exp,
      iat: claims.iat,
      sub: claims.sub,
      aud: claims.aud,
      iss: claims.iss,
      jti: claims.jti,
    };
  }

  /** RFC 7009: revokes a token of the caller's (or, for an admin, any) client; unknown tokens are ignored. */
  async revoke(token: string, callerClientId: string | undefined): Promise<void> {
    const claims = await this.verifySignature(token);
    if (!claims) return;
    if (callerClientId !== undefined && callerClientId !== claims.client_id) return;
    await this.repository.revokeToken(claims.jti, claims.client_id, new Date(claims.exp * 1000));
    await this.events.publish('token', claims.jti);
  }

  private keyFor(kid: string | undefined) {
    const key = this.keys.verificationKey(kid);
    if (!key) throw new Error('unknown signing key');
    return key;
  }
}
