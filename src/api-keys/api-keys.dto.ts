import { PartialType } from '@nestjs/swagger';
import { IsDateString, IsInt, IsOptional, Max, Min, ValidateIf } from 'class-validator';
import { Scope } from '../auth/scopes';
import { CredentialFieldsDto } from '../common/dto/credential.dto';

export class CreateApiKeyDto extends CredentialFieldsDto {
  /** When the key stops working (ISO 8601); default: never. */
  @IsOptional()
  @IsDateString()
  expiresAt?: string;
}

export class UpdateApiKeyDto extends PartialType(CreateApiKeyDto) {
  /** ISO 8601, or null to remove the expiry. */
  @IsOptional()
  @ValidateIf((_object, value) => value !== null)
  @IsDateString()
  override expiresAt?: string;
}

export class RotateApiKeyDto {
  /** How long the old key keeps working, in seconds (0 ends it now; at most 30 days). */
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
  rateLimit: { requestsPerMinute: number } | null;
  quota: { requestsPerMonth: number } | null;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
  /** While a rotated-out key still works: when it stops. */
  previousKeyExpiresAt: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

export class CreatedApiKeyDto extends ApiKeyDto {
  /** The plaintext key. Shown this once: store it now. */
  key: string;
}
