import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  IsArray,
  IsIn,
  IsOptional,
  IsString,
  Length,
  Matches,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { ALL_SCOPES, Scope } from './scopes';
import { QuotaDto, RateLimitDto } from './limits.dto';

export const MODEL_PATTERN = /^[a-z0-9*?][a-z0-9*?._-]{0,99}$/;

/** Fields shared by API keys and OAuth clients on creation. */
export class CredentialFieldsDto {
  /** A human-readable name, e.g. the partner and purpose. */
  @IsString()
  @Length(1, 200)
  name: string;

  /** Scopes granted; each must be one the caller holds. */
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(ALL_SCOPES.length)
  @IsIn(ALL_SCOPES, { each: true })
  scopes: Scope[];

  /** Model allow-list of glob patterns (`iris`, `fraud-*`); default `["*"]`. */
  @ApiPropertyOptional({
    type: 'array',
    minItems: 1,
    maxItems: 100,
    items: { type: 'string', pattern: MODEL_PATTERN.source },
  })
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(100)
  @Matches(MODEL_PATTERN, { each: true, message: 'each model pattern must be a model name, optionally with * or ?' })
  models?: string[];

  /** Requests per minute; default: the platform default. */
  @IsOptional()
  @ValidateIf((_object, value) => value !== null)
  @ValidateNested()
  @Type(() => RateLimitDto)
  rateLimit?: RateLimitDto | null;

  /** Requests per calendar month; default: the platform default. */
  @IsOptional()
  @ValidateIf((_object, value) => value !== null)
  @ValidateNested()
  @Type(() => QuotaDto)
  quota?: QuotaDto | null;
}
