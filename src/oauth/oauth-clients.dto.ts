import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { IsBoolean, IsInt, IsOptional, Max, Min, ValidateIf } from 'class-validator';
import { Scope } from '../identity/scopes';
import { CredentialFieldsDto } from '../identity/credential.dto';
import { QuotaDto, RateLimitDto } from '../identity/limits.dto';

export class CreateOAuthClientDto extends CredentialFieldsDto {
  /** Access-token lifetime in seconds (60-86400); default OAUTH_TOKEN_TTL_SECONDS. */
  @ApiPropertyOptional({ type: 'integer', minimum: 60, maximum: 86_400 })
  @IsOptional()
  @IsInt()
  @Min(60)
  @Max(86_400)
  tokenTtlSeconds?: number;
}

export class UpdateOAuthClientDto extends PartialType(CreateOAuthClientDto) {
  /** Disable (true) or re-enable (false) the client; a disabled client's tokens stop working within seconds. */
  @IsOptional()
  @IsBoolean()
  disabled?: boolean;

  @ApiPropertyOptional({ type: 'integer', minimum: 60, maximum: 86_400, nullable: true })
  @IsOptional()
  @ValidateIf((_object, value) => value !== null)
  @IsInt()
  @Min(60)
  @Max(86_400)
  override tokenTtlSeconds?: number;
}

export class RotateClientSecretDto {
  /** How long the old secret keeps working, in seconds (default 0: it stops now). */
  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 30 * 86_400, default: 0 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(30 * 86_400)
  gracePeriodSeconds?: number;
}

export class OAuthClientDto {
  clientId: string;
  name: string;
  scopes: Scope[];
  models: string[];
  /** Null: the platform default. */
  @ApiProperty({ type: RateLimitDto, nullable: true })
  rateLimit: RateLimitDto | null;
  /** Null: the platform default. */
  @ApiProperty({ type: QuotaDto, nullable: true })
  quota: QuotaDto | null;
  /** Null: OAUTH_TOKEN_TTL_SECONDS. */
  @ApiProperty({ type: 'integer', nullable: true })
  tokenTtlSeconds: number | null;
  disabled: boolean;
  /** While a rotated-out secret still works: when it stops. */
  @ApiProperty({ format: 'date-time', nullable: true, type: 'string' })
  previousSecretExpiresAt: string | null;
  createdBy: string;
  @ApiProperty({ format: 'date-time' })
  createdAt: string;
  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}

export class CreatedOAuthClientDto extends OAuthClientDto {
  /** The plaintext client secret. Shown this once: store it now. */
  clientSecret: string;
}
