import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { OipDatatype } from '../runtime/datatypes';
import { VersionState } from '../runtime/model-version';

export class TensorSpecDto {
  name: string;
  /** Open Inference Protocol datatype, e.g. FP32, INT64, BYTES. */
  datatype: OipDatatype;
  /** Dimensions; -1 is a variable dimension (usually the batch). */
  shape: number[];
}

export class ModelSummaryDto {
  name: string;
  description: string | null;
  versions: string[];
  /** Alias → version, e.g. {"stable": "1"}; for an alias that splits traffic, its heaviest version. */
  aliases: Record<string, string>;
  /** Aliases that split traffic: alias → version → weight (the weights sum to 100), e.g. {"canary": {"1": 90, "2": 10}}. */
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'object', additionalProperties: { type: 'integer' } },
  })
  trafficSplits?: Record<string, Record<string, number>>;
  /** The version used when a route names none: the `default` alias, else `latest`. */
  defaultVersion: string | null;
  /** Whether the default version is READY. */
  ready: boolean;
}

export class ModelListDto {
  models: ModelSummaryDto[];
}

export class ModelVersionDto {
  version: string;
  state: VersionState;
  inputs: TensorSpecDto[];
  outputs: TensorSpecDto[];
  /** Class labels per output, from the model's config.json. */
  labels?: Record<string, string[]>;
  sha256: string | null;
  sizeBytes: number | null;
  /** Why the version is FAILED. */
  error?: string;
  /** When the version is (or will be) deprecated: its responses then carry `Deprecation` (RFC 9745). */
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true })
  deprecatedAt: string | null;
  /** When the version stops answering (410 `model_version_sunset` after it; `Sunset`, RFC 8594). */
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true })
  sunsetAt: string | null;
}

export class ModelDetailDto extends ModelSummaryDto {
  versionDetails: ModelVersionDto[];
}
