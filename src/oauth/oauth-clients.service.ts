import { limitsOf } from '../identity/limits';
import { Injectable } from '@nestjs/common';
import { AuditLog, changesBetween } from '../audit/audit-log.service';
import { ChangeFeedService } from '../change-feed/change-feed.service';
import { assertCanGrant } from '../identity/grants';
import { Principal } from '../identity/principal';
import { DomainError } from '../common/errors/domain.error';
import { CommonErrorCode } from '../common/errors/error-codes';
import { decodePosition, Page, PageQuery, toPage } from '../common/pagination/pagination';
import { randomBase62, sha256 } from '../common/secrets';
import { OAuthClientEntity } from './oauth-client.entity';
import {
  CreatedOAuthClientDto,
  CreateOAuthClientDto,
  OAuthClientDto,
  RotateClientSecretDto,
  UpdateOAuthClientDto,
} from './oauth-clients.dto';
import { OAuthClientsRepository } from './oauth-clients.repository';

const newSecret = (): string => `mgs_${randomBase62(43)}`;

/** Registers, changes, disables, deletes OAuth clients and rotates their secrets. */
@Injectable()
export class OAuthClientsService {
  constructor(
    private readonly repository: OAuthClientsRepository,
    private readonly events: ChangeFeedService,
    private readonly audit: AuditLog,
  ) {}

  async createOAuthClient(
    issuer: Principal | undefined,
    dto: CreateOAuthClientDto,
    createdBy?: string,
  ): Promise<CreatedOAuthClientDto> {
    const models = dto.models ?? ['*'];
    assertCanGrant(issuer, { scopes: dto.scopes, models });
    const clientSecret = newSecret();
    const client = await this.audit.transaction(async () => {
      const created = await this.repository.insert({
        clientId: `mgc_${randomBase62(20)}`,
        name: dto.name,
        secretHash: sha256(clientSecret),
        scopes: dto.scopes,
        models,
        rateLimitRpm: dto.rateLimit?.requestsPerMinute ?? null,
        quotaPerMonth: dto.quota?.requestsPerMonth ?? null,
        tokenTtlSeconds: dto.tokenTtlSeconds ?? null,
        createdBy: createdBy ?? issuer?.id ?? 'system',
      });
      await this.audit.record({
        action: 'oauth_client.created',
        target: { type: 'oauth_client', id: created.clientId },
        changes: changesBetween({}, auditedFields(created)),
      });
      return created;
    });
    return { ...toOAuthClientDto(client), clientSecret };
  }

  async listOAuthClients(query: PageQuery): Promise<Page<OAuthClientDto>> {
    const rows = await this.repository.list(query.limit, decodePosition(query.cursor));
    return toPage(rows, query.limit, toOAuthClientDto);
  }

  async getOAuthClient(clientId: string): Promise<OAuthClientDto> {
    return toOAuthClientDto(await this.find(clientId));
  }

  async updateOAuthClient(issuer: Principal, clientId: string, dto: UpdateOAuthClientDto): Promise<OAuthClientDto> {
    const client = await this.find(clientId);
    assertCanGrant(issuer, { scopes: dto.scopes ?? client.scopes, models: dto.models ?? client.models }, client);
    const changes: Partial<OAuthClientEntity> = {};
    if (dto.name !== undefined) changes.name = dto.name;
    if (dto.scopes !== undefined) changes.scopes = dto.scopes;
    if (dto.models !== undefined) changes.models = dto.models;
    if (dto.rateLimit !== undefined) changes.rateLimitRpm = dto.rateLimit?.requestsPerMinute ?? null;
    if (dto.quota !== undefined) changes.quotaPerMonth = dto.quota?.requestsPerMonth ?? null;
    if (dto.tokenTtlSeconds !== undefined) changes.tokenTtlSeconds = dto.tokenTtlSeconds ?? null;
    if (dto.disabled !== undefined) changes.disabledAt = dto.disabled ? new Date() : null;
    const audited = changesBetween(auditedFields(client), auditedFields(changes));
    if (Object.keys(audited).length > 0) {
      await this.audit.transaction(async () => {
        await this.repository.update(clientId, changes);
        await this.events.publish('oauth_client', clientId);
        await this.audit.record({
          action: 'oauth_client.updated',
          target: { type: 'oauth_client', id: clientId },
          changes: audited,
        });
      });
    }
    return this.getOAuthClient(clientId);
  }

  /** Deletes the client: it can no longer get tokens and its outstanding tokens stop working. */
  async deleteOAuthClient(issuer: Principal | undefined, clientId: string): Promise<void> {
    const client = await this.find(clientId);
    assertCanGrant(issuer, client, client);
    await this.audit.transaction(async () => {
      await this.repository.update(clientId, { deletedAt: new Date() });
      await this.events.publish('oauth_client', clientId);
      await this.audit.record({ action: 'oauth_client.deleted', target: { type: 'oauth_client', id: clientId } });
    });
  }

  async rotateClientSecret(
    issuer: Principal | undefined,
    clientId: string,
    dto: RotateClientSecretDto | undefined,
  ): Promise<CreatedOAuthClientDto> {
    const client = await this.find(clientId);
    // The new secret is the client's whole power: only a caller holding all of it may have it.
    assertCanGrant(issuer, client, client);
    const current = await this.repository.findForAuthentication(clientId);
    const clientSecret = newSecret();
    const grace = dto?.gracePeriodSeconds ?? 0;
    const previousExpiresAt = grace > 0 ? new Date(Date.now() + grace * 1000) : null;
    await this.audit.transaction(async () => {
      await this.repository.update(clientId, {
        secretHash: sha256(clientSecret),
        previousSecretHash: grace > 0 ? current!.secretHash : null,
        previousExpiresAt,
      });
      await this.events.publish('oauth_client', clientId);
      await this.audit.record({
        action: 'oauth_client.secret_rotated',
        target: { type: 'oauth_client', id: clientId },
        changes: { previousSecretExpiresAt: { before: null, after: previousExpiresAt?.toISOString() ?? null } },
      });
    });
    return { ...(await this.getOAuthClient(clientId)), clientSecret };
  }

  private async find(clientId: string): Promise<OAuthClientEntity> {
    const client = clientId.length <= 64 ? await this.repository.findByClientId(clientId) : null;
    if (!client) throw new DomainError(CommonErrorCode.NotFound, `No OAuth client ${clientId}.`);
    return client;
  }
}

function toOAuthClientDto(client: OAuthClientEntity): OAuthClientDto {
  const graceActive = client.previousExpiresAt && client.previousExpiresAt.getTime() > Date.now();
  return {
    clientId: client.clientId,
    name: client.name,
    scopes: client.scopes,
    models: client.models,
    ...limitsOf(client),
    tokenTtlSeconds: client.tokenTtlSeconds,
    disabled: client.disabledAt !== null,
    previousSecretExpiresAt: graceActive ? client.previousExpiresAt!.toISOString() : null,
    createdBy: client.createdBy,
    createdAt: client.createdAt.toISOString(),
    updatedAt: client.updatedAt.toISOString(),
  };
}

/** The fields of a client an audit event shows (never its secret hashes). */
function auditedFields(client: Partial<OAuthClientEntity>): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const field of ['name', 'scopes', 'models', 'rateLimitRpm', 'quotaPerMonth', 'tokenTtlSeconds'] as const) {
    if (client[field] !== undefined) fields[field] = client[field];
  }
  if (client.disabledAt !== undefined) fields.disabled = client.disabledAt !== null;
  return fields;
}
