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
  /** Alias → version, e.g. {"stable": "1"}. */
  aliases: Record<string, string>;
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
}

export class ModelDetailDto extends ModelSummaryDto {
  versionDetails: ModelVersionDto[];
}
