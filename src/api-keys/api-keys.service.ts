import { limitsOf } from '../identity/limits';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AuditLog, changesBetween } from '../audit/audit-log.service';
import { ChangeFeedService } from '../change-feed/change-feed.service';
import { assertCanGrant } from '../identity/grants';
import { Principal } from '../identity/principal';
import { ALL_SCOPES } from '../identity/scopes';
import { DomainError } from '../common/errors/domain.error';
import { CommonErrorCode } from '../common/errors/error-codes';
import { decodePosition, Page, PageQuery, toPage } from '../common/pagination/pagination';
import { sha256 } from '../common/secrets';
import { isUuid } from '../common/uuid';
import { Configuration } from '../config/configuration';
import { ApiKeyEntity } from './api-key.entity';
import { formatApiKey, newPublicId } from './api-key-format';
import { ApiKeyDto, CreateApiKeyDto, CreatedApiKeyDto, RotateApiKeyDto, UpdateApiKeyDto } from './api-keys.dto';
import { ApiKeysRepository } from './api-keys.repository';

const DEFAULT_GRACE_SECONDS = 3600;

/** Issues, lists, changes, rotates and revokes API keys. Plaintext keys exist only in return values. */
@Injectable()
export class ApiKeysService {
  constructor(
    private readonly repository: ApiKeysRepository,
    private readonly events: ChangeFeedService,
    private readonly config: ConfigService<Configuration, true>,
    private readonly audit: AuditLog,
  ) {}

  async createApiKey(
    issuer: Principal | undefined,
    dto: CreateApiKeyDto,
    createdBy?: string,
  ): Promise<CreatedApiKeyDto> {
    const models = dto.models ?? ['*'];
    assertCanGrant(issuer, { scopes: dto.scopes, models });
    const expiresAt = dto.expiresAt ? futureDate(dto.expiresAt, 'expiresAt') : null;
    const publicId = newPublicId();
    const { key, prefix } = formatApiKey(this.config.get('auth', { infer: true }).apiKeyEnvironment, publicId);
    const entity = await this.audit.transaction(async () => {
      const created = await this.repository.insert({
        name: dto.name,
        publicId,
        prefix,
        secretHash: sha256(key),
        scopes: dto.scopes,
        models,
        rateLimitRpm: dto.rateLimit?.requestsPerMinute ?? null,
        quotaPerMonth: dto.quota?.requestsPerMonth ?? null,
        expiresAt,
        createdBy: createdBy ?? issuer?.id ?? 'system',
      });
      await this.events.publish('api_key', publicId);
      await this.audit.record({
        action: 'api_key.created',
        target: { type: 'api_key', id: created.id },
        changes: changesBetween({}, auditedFields(created)),
      });
      return created;
    });
    return { ...toApiKeyDto(entity), key };
  }

  /** An API key with every scope, for the bootstrap and `npm run cli -- create-admin-key`. */
  createAdminKey(name: string, createdBy: string): Promise<CreatedApiKeyDto> {
    return this.createApiKey(undefined, { name, scopes: [...ALL_SCOPES] }, createdBy);
  }

  async listApiKeys(query: PageQuery): Promise<Page<ApiKeyDto>> {
    const rows = await this.repository.list(query.limit, decodePosition(query.cursor));
    return toPage(rows, query.limit, toApiKeyDto);
  }

  async getApiKey(id: string): Promise<ApiKeyDto> {
    return toApiKeyDto(await this.find(id));
  }

  async updateApiKey(issuer: Principal, id: string, dto: UpdateApiKeyDto): Promise<ApiKeyDto> {
    const key = await this.find(id);
    if (key.revokedAt) throw new DomainError(CommonErrorCode.Conflict, 'This API key is revoked and cannot change.');
    assertCanGrant(issuer, { scopes: dto.scopes ?? key.scopes, models: dto.models ?? key.models }, key);
    const changes: Partial<ApiKeyEntity> = {};
    if (dto.name !== undefined) changes.name = dto.name;
    if (dto.scopes !== undefined) changes.scopes = dto.scopes;
    if (dto.models !== undefined) changes.models = dto.models;
    if (dto.rateLimit !== undefined) changes.rateLimitRpm = dto.rateLimit?.requestsPerMinute ?? null;
    if (dto.quota !== undefined) changes.quotaPerMonth = dto.quota?.requestsPerMonth ?? null;
    if (dto.expiresAt !== undefined)
      changes.expiresAt = dto.expiresAt === null ? null : futureDate(dto.expiresAt, 'expiresAt');
    const audited = changesBetween(auditedFields(key), auditedFields(changes));
    if (Object.keys(audited).length > 0) {
      await this.audit.transaction(async () => {
        await this.repository.update(id, changes);
        await this.events.publish('api_key', key.publicId);
        await this.audit.record({ action: 'api_key.updated', target: { type: 'api_key', id }, changes: audited });
      });
    }
    return this.getApiKey(id);
  }

  async revokeApiKey(issuer: Principal | undefined, id: string): Promise<void> {
    const key = await this.find(id);
    assertCanGrant(issuer, key, key);
    if (key.revokedAt) return;
    const revokedAt = new Date();
    await this.audit.transaction(async () => {
      await this.repository.update(id, { revokedAt });
      await this.events.publish('api_key', key.publicId);
      await this.audit.record({
        action: 'api_key.revoked',
        target: { type: 'api_key', id },
        changes: { revokedAt: { before: null, after: revokedAt.toISOString() } },
      });
    });
  }

  async rotateApiKey(
    issuer: Principal | undefined,
    id: string,
    dto: RotateApiKeyDto | undefined,
  ): Promise<CreatedApiKeyDto> {
    const graceSeconds = dto?.gracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
    const key = await this.find(id);
    // The new plaintext is the key's whole power: only a caller holding all of it may have it.
    assertCanGrant(issuer, key, key);
    if (key.revokedAt)
      throw new DomainError(CommonErrorCode.Conflict, 'This API key is revoked and cannot be rotated.');
    const current = await this.repository.findForVerification(key.publicId);
    const { key: plaintext } = formatApiKey(this.config.get('auth', { infer: true }).apiKeyEnvironment, key.publicId);
    const previousExpiresAt = new Date(Date.now() + graceSeconds * 1000);
    await this.audit.transaction(async () => {
      await this.repository.update(id, {
        secretHash: sha256(plaintext),
        previousSecretHash: current!.secretHash,
        previousExpiresAt,
      });
      await this.events.publish('api_key', key.publicId);
      await this.audit.record({
        action: 'api_key.rotated',
        target: { type: 'api_key', id },
        changes: {
          previousExpiresAt: {
            before: key.previousExpiresAt?.toISOString() ?? null,
            after: previousExpiresAt.toISOString(),
          },
        },
      });
    });
    return { ...(await this.getApiKey(id)), key: plaintext };
  }

  private async find(id: string): Promise<ApiKeyEntity> {
    const key = isUuid(id) ? await this.repository.findById(id) : null;
    if (!key) throw new DomainError(CommonErrorCode.NotFound, `No API key with id ${id}.`);
    return key;
  }
}

function futureDate(value: string, field: string): Date {
  const date = new Date(value);
  if (date.getTime() <= Date.now()) {
    throw new DomainError(CommonErrorCode.ValidationFailed, `${field} must be in the future.`, {
      errors: [{ field, message: 'must be in the future' }],
    });
  }
  return date;
}

export function toApiKeyDto(key: ApiKeyEntity): ApiKeyDto {
  const graceActive = key.previousExpiresAt && key.previousExpiresAt.getTime() > Date.now();
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    scopes: key.scopes,
    models: key.models,
    ...limitsOf(key),
    expiresAt: key.expiresAt?.toISOString() ?? null,
    revokedAt: key.revokedAt?.toISOString() ?? null,
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    previousKeyExpiresAt: graceActive ? key.previousExpiresAt!.toISOString() : null,
    createdBy: key.createdBy,
    createdAt: key.createdAt.toISOString(),
    updatedAt: key.updatedAt.toISOString(),
  };
}

/** The fields of a key an audit event shows (never its secret hashes). */
function auditedFields(key: Partial<ApiKeyEntity>): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const field of ['name', 'scopes', 'models', 'rateLimitRpm', 'quotaPerMonth', 'expiresAt'] as const) {
    if (key[field] !== undefined) fields[field] = key[field] instanceof Date ? key[field].toISOString() : key[field];
  }
  return fields;
}
