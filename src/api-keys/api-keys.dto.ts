import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { IsDateString, IsInt, IsOptional, Max, Min, ValidateIf } from 'class-validator';
import { Scope } from '../identity/scopes';
import { CredentialFieldsDto } from '../identity/credential.dto';
import { QuotaDto, RateLimitDto } from '../identity/limits.dto';

export class CreateApiKeyDto extends CredentialFieldsDto {
  /** When the key stops working (ISO 8601); default: never. */
  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsDateString()
  expiresAt?: string;
}

export class UpdateApiKeyDto extends PartialType(CreateApiKeyDto) {
  /** ISO 8601, or null to remove the expiry. */
  @ApiPropertyOptional({ format: 'date-time', nullable: true })
  @IsOptional()
  @ValidateIf((_object, value) => value !== null)
  @IsDateString()
  override expiresAt?: string;
}

export class RotateApiKeyDto {
  /** How long the old key keeps working, in seconds (0 ends it now; at most 30 days). */
  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 30 * 86_400, default: 3600 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(30 * 86_400)
  gracePeriodSeconds: number = 3600;
}

export class ApiKeyDto {
  id: string;
  name: string;
  /** The key's public prefix, e.g. `mg_live_AbC123xyz789`; the secret is never shown again. */
  prefix: string;
  scopes: Scope[];
  models: string[];
  /** Null: the platform default. */
  @ApiProperty({ type: RateLimitDto, nullable: true })
  rateLimit: RateLimitDto | null;
  /** Null: the platform default. */
  @ApiProperty({ type: QuotaDto, nullable: true })
  quota: QuotaDto | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: 'string' })
  expiresAt: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: 'string' })
  revokedAt: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: 'string' })
  lastUsedAt: string | null;
  /** While a rotated-out key still works: when it stops. */
  @ApiProperty({ format: 'date-time', nullable: true, type: 'string' })
  previousKeyExpiresAt: string | null;
  createdBy: string;
  @ApiProperty({ format: 'date-time' })
  createdAt: string;
  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}

export class CreatedApiKeyDto extends ApiKeyDto {
  /** The plaintext key. Shown this once: store it now. */
  key: string;
}
