import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AuditLog } from '../audit/audit-log.service';
import { ChangeFeedService } from '../change-feed/change-feed.service';
import { DomainError } from '../common/errors/domain.error';
import { sha256 } from '../common/secrets';
import { Configuration } from '../config/configuration';
import { unauthorized } from '../identity/identity.errors';
import { Scope } from '../identity/scopes';
import { SessionEntity } from './session.entity';
import { SessionAuthenticator } from './session-authenticator';
import {
  cookieValue,
  csrfTokenMatches,
  csrfTokenOf,
  newSessionSecret,
  serializeCookie,
  SESSION_COOKIE,
} from './session-secret';
import { SessionDto } from './sessions.dto';
import { SessionErrorCode } from './sessions.errors';
import { SessionsRepository } from './sessions.repository';

const RETENTION_MS = 7 * 86_400_000;

/** The signed-in user, as the identity provider described them. */
export interface SessionUser {
  id: string;
  name: string;
  email?: string;
}

export interface StartedSession {
  session: SessionEntity;
  /** The `Set-Cookie` value carrying the new session's secret (shown to the browser once). */
  cookie: string;
}

/** Sessions: started by SSO, read by `GET /auth/session`, ended by logout on every instance. */
@Injectable()
export class SessionsService implements OnApplicationBootstrap {
  private readonly logger = new Logger(SessionsService.name);
  private readonly ttlSeconds: number;
  private readonly secureCookies: boolean;

  constructor(
    private readonly repository: SessionsRepository,
    private readonly authenticator: SessionAuthenticator,
    private readonly events: ChangeFeedService,
    private readonly audit: AuditLog,
    config: ConfigService<Configuration, true>,
  ) {
    this.ttlSeconds = config.get('sso', { infer: true }).sessionTtlSeconds;
    this.secureCookies = config.get('app', { infer: true }).publicUrl.startsWith('https:');
  }

  /** Sessions that expired or ended over a week ago are of no use (their audit events stay). */
  async onApplicationBootstrap(): Promise<void> {
    await this.repository.deleteOlderThan(new Date(Date.now() - RETENTION_MS)).catch((error: unknown) => {
      this.logger.warn({ err: error }, 'Deleting old sessions failed');
    });
  }

  async start(user: SessionUser, scopes: readonly Scope[]): Promise<StartedSession> {
    const secret = newSessionSecret();
    const session = await this.audit.transaction(async () => {
      const started = await this.repository.insert({
        tokenHash: sha256(secret),
        userId: user.id,
        userName: user.name,
        userEmail: user.email ?? null,
        scopes: [...scopes],
        expiresAt: new Date(Date.now() + this.ttlSeconds * 1000),
      });
      // Nobody is signed in yet: the user starting the session is the actor.
      await this.audit.record({
        action: 'session.started',
        target: { type: 'session', id: started.id },
        actor: { type: 'user', id: user.id, name: user.name },
        changes: {
          user: { after: { id: user.id, name: user.name, email: user.email ?? null } },
          scopes: { after: started.scopes },
          expiresAt: { after: started.expiresAt.toISOString() },
        },
      });
      return started;
    });
    return { session, cookie: this.cookie(secret, this.ttlSeconds) };
  }

  /** `GET /auth/session`: the session of the request's cookie (401 without a running one). */
  async describe(cookieHeader: string | string[] | undefined): Promise<SessionDto> {
    const secret = cookieValue(cookieHeader, SESSION_COOKIE);
    const session = secret === undefined ? undefined : await this.authenticator.session(secret);
    if (!secret || !session) throw unauthorized('No session: sign in at /auth/sso/login.');
    return {
      user: { id: session.userId, name: session.userName, email: session.userEmail },
      scopes: session.scopes,
      csrfToken: csrfTokenOf(secret),
      expiresAt: session.expiresAt.toISOString(),
    };
  }

  /**
   * `POST /auth/logout`: ends the cookie's session everywhere (its X-CSRF-Token required); the returned
   * `Set-Cookie` deletes the cookie. 401 without a running session (deleting a stale cookie all the same).
   */
  async logout(cookieHeader: string | string[] | undefined, csrfToken: string | string[] | undefined): Promise<string> {
    const secret = cookieValue(cookieHeader, SESSION_COOKIE);
    const session = secret === undefined ? undefined : await this.authenticator.session(secret);
    const deletion = this.cookie('', 0);
    if (!secret || !session) {
      const error = unauthorized('No session to end.');
      if (secret !== undefined) error.options.headers = { ...error.options.headers, 'Set-Cookie': deletion };
      throw error;
    }
    assertCsrf(secret, csrfToken);
    await this.end(session);
    return deletion;
  }

  /** Ends a session (one audit event, the change feed tells every instance once it commits). */
  async end(session: SessionEntity): Promise<void> {
    await this.audit.transaction(async () => {
      if (!(await this.repository.end(session.id, new Date()))) return;
      await this.audit.record({
        action: 'session.ended',
        target: { type: 'session', id: session.id },
        // Logout reads the cookie itself (an open route): its user is the actor.
        actor: { type: 'user', id: session.userId, name: session.userName },
        changes: { endedAt: { before: null, after: new Date().toISOString() } },
      });
      await this.events.publish('session', session.id);
    });
    this.authenticator.forget(session.id);
  }

  private cookie(secret: string, maxAgeSeconds: number): string {
    return serializeCookie(SESSION_COOKIE, secret, { path: '/', maxAgeSeconds, secure: this.secureCookies });
  }
}

/** 403 `csrf_failed` unless `presented` is the session's CSRF token. */
export function assertCsrf(secret: string, presented: string | string[] | undefined): void {
  if (!csrfTokenMatches(secret, presented)) {
    throw new DomainError(
      SessionErrorCode.CsrfFailed,
      'A request made with the session cookie that changes something must carry X-CSRF-Token (from GET /auth/session).',
    );
  }
}
