import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import type { AuditActorType, AuditChanges } from './audit-event.entity';

export class AuditEventsQueryDto {
  /** Start (inclusive, ISO 8601). */
  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  /** End (exclusive, ISO 8601). */
  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;

  /** The actor's id: an API key id, an OAuth client id or a user id. */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  actorId?: string;

  /** An action (`api_key.revoked`), or a family of them (`api_key.*`). */
  @IsOptional()
  @Matches(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?$/, {
    message: 'action must be a dotted action name such as api_key.created, or a prefix such as api_key.*',
  })
  @MaxLength(64)
  action?: string;

  /** The changed object's id (an API key id, `iris/2`, ...). */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  targetId?: string;

  /** Items per page (1-1000). */
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 1000, default: 100 })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? Number(value) : value))
  @IsInt()
  @Min(1)
  @Max(1000)
  limit: number = 100;

  /** Opaque cursor from a previous page's `nextCursor`. */
  @IsOptional()
  @IsString()
  @MaxLength(300)
  cursor?: string;

  /** `csv` streams every matching event as CSV (as does `Accept: text/csv`). */
  @IsOptional()
  @IsIn(['json', 'csv'])
  format?: 'json' | 'csv';
}

export class AuditActorDto {
  /** `api_key`, `oauth_client`, `user` (signed in through SSO) or `system` (the CLI, start-up). */
  type: AuditActorType;
  id: string;
  name: string | null;
}

export class AuditTargetDto {
  /** `api_key`, `oauth_client`, `model_version`, `alias`, `session`, ... */
  type: string;
  id: string;
}

export class AuditEventDto {
  id: string;
  at: string;
  action: string;
  actor: AuditActorDto;
  target: AuditTargetDto;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
  /** Before and after of the fields changed; never a secret or its hash. */
  changes?: AuditChanges;
}

export class AuditEventPageDto {
  items: AuditEventDto[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null;
}
