import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';

export class RateLimitDto {
  /** Requests allowed per minute. */
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 1_000_000_000 })
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  requestsPerMinute: number;
}

export class QuotaDto {
  /** Requests allowed per calendar month (UTC). */
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 1_000_000_000_000 })
  @IsInt()
  @Min(1)
  @Max(1_000_000_000_000)
  requestsPerMonth: number;
}
