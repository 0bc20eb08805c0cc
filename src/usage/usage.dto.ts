import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

export const GROUP_FIELDS = ['principal', 'model', 'version', 'status', 'protocol'] as const;
export type GroupField = (typeof GROUP_FIELDS)[number];

export class UsageRangeDto {
  /** Start (inclusive, ISO 8601). Default: 24 hours before `to`. */
  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  /** End (exclusive, ISO 8601). Default: now. */
  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;
}

export class UsageQueryDto extends UsageRangeDto {
  @ApiPropertyOptional({ enum: ['hour', 'day'], default: 'hour' })
  @IsOptional()
  @IsIn(['hour', 'day'])
  granularity: 'hour' | 'day' = 'hour';

  /** Comma-separated: principal, model, version, status, protocol (`http`, `grpc`). */
  @IsOptional()
  @Matches(/^(principal|model|version|status|protocol)(,(principal|model|version|status|protocol))*$/, {
    message: 'groupBy must be a comma-separated list of principal, model, version, status, protocol',
  })
  groupBy?: string;

  /** Only this model's calls. */
  @IsOptional()
  @IsString()
  @MaxLength(64)
  model?: string;

  /**
   * Only calls this version answered (with `model`), e.g. `groupBy=principal&model=iris&version=1`: who
   * still calls a deprecated version.
   */
  @IsOptional()
  @Matches(/^[1-9][0-9]{0,8}$/, { message: 'version must be a version number' })
  version?: string;
}

export class UsageEventsQueryDto extends UsageRangeDto {
  @IsOptional()
  @IsString()
  @MaxLength(100)
  principalId?: string;

  @IsOptional()
  @IsString()
  @MaxLength(64)
  model?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 1000, default: 100 })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? Number(value) : value))
  @IsInt()
  @Min(1)
  @Max(1000)
  limit: number = 100;

  @IsOptional()
  @IsString()
  @MaxLength(300)
  cursor?: string;

  /** `csv` streams every matching event as CSV (as does `Accept: text/csv`). */
  @IsOptional()
  @IsIn(['json', 'csv'])
  format?: 'json' | 'csv';
}

export class UsageBucketDto {
  bucket: string;
  principalId?: string;
  model?: string | null;
  version?: string | null;
  status?: number;
  /** `http` or `grpc`. */
  protocol?: string;
  requests: number;
  errors: number;
  avgLatencyMs: number;
  /** From the hourly latency histograms: the upper bound of the bucket holding the 95th percentile. */
  p95LatencyMs: number | null;
}

export class UsageReportDto {
  items: UsageBucketDto[];
}
