import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDefined, IsInt, IsISO8601, IsObject, IsOptional, Max, Min, ValidateIf } from 'class-validator';
import { UsageRangeDto } from '../../usage/usage.dto';

export class SetAliasDto {
  /** A version number (or, for `default`, another alias). Send this or `versions`. */
  @ApiPropertyOptional({ oneOf: [{ type: 'integer', minimum: 1 }, { type: 'string' }] })
  @ValidateIf((dto: SetAliasDto) => dto.versions === undefined)
  @IsDefined({ message: 'send "version" or "versions"' })
  version?: number | string;

  /**
   * A traffic split: version → integer weight, the weights summing to 100, e.g. `{"1": 90, "2": 10}`.
   * Callers are routed by weight and keep their version while the weights stay the same.
   */
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'integer', minimum: 0, maximum: 100 },
    example: { '1': 90, '2': 10 },
  })
  @IsOptional()
  @IsObject()
  versions?: Record<string, number>;
}

export class SetShadowDto {
  /** The version that also runs the mirrored requests. */
  @ApiProperty({
    oneOf: [
      { type: 'integer', minimum: 1 },
      { type: 'string', pattern: '^[1-9][0-9]*$' },
    ],
  })
  @IsDefined()
  version: number | string;

  /** The share of the model's default-routed requests mirrored, 1-100. */
  @IsInt()
  @Min(1)
  @Max(100)
  percent: number;
}

export class ShadowDto {
  model: string;
  version: string;
  percent: number;
}

export class UpdateModelVersionDto {
  /** When the version is (or will be) deprecated, ISO 8601; null removes it. */
  @ApiPropertyOptional({ format: 'date-time', nullable: true, type: 'string' })
  @IsOptional()
  @ValidateIf((_object, value) => value !== null)
  @IsISO8601({ strict: true })
  deprecatedAt?: string | null;

  /** When the version stops answering (410 after it), ISO 8601; null removes it. */
  @ApiPropertyOptional({ format: 'date-time', nullable: true, type: 'string' })
  @IsOptional()
  @ValidateIf((_object, value) => value !== null)
  @IsISO8601({ strict: true })
  sunsetAt?: string | null;
}

export class ShadowReportQueryDto extends UsageRangeDto {}

export class ShadowReportDto {
  model: string;
  /** The version that answered the callers; absent when several did over the range. */
  primaryVersion?: string;
  shadowVersion: string;
  /** Requests mirrored to the shadow version. */
  requests: number;
  /** Shadow runs that failed. */
  errors: number;
  /** The share of rows whose top class matched (null for models without class labels). */
  @ApiProperty({ type: 'number', nullable: true })
  agreement: number | null;
  /** Mean |primary - shadow| over the floating-point output elements (null when none were compared). */
  @ApiProperty({ type: 'number', nullable: true })
  meanAbsoluteDifference: number | null;
  @ApiProperty({ type: 'number', nullable: true })
  primaryP95LatencyMs: number | null;
  @ApiProperty({ type: 'number', nullable: true })
  shadowP95LatencyMs: number | null;
}
