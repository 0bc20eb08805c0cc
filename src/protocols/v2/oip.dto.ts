import { ApiProperty } from '@nestjs/swagger';

/** An element of a tensor in JSON: a number, a string (BYTES) or a boolean. */
const ELEMENT = { oneOf: [{ type: 'number' }, { type: 'string' }, { type: 'boolean' }] };

/** Open Inference Protocol (KServe V2) request and response bodies. */
export class OipInputTensorDto {
  name: string;
  @ApiProperty({ type: 'array', items: { type: 'integer', minimum: 0 } })
  shape: number[];
  datatype: string;
  parameters?: Record<string, unknown>;
  /** Flat or nested, row-major. */
  @ApiProperty({ type: 'array', items: {} })
  data: unknown[];
}

export class OipRequestedOutputDto {
  name: string;
  parameters?: Record<string, unknown>;
}

export class OipInferRequestDto {
  id?: string;
  parameters?: Record<string, unknown>;
  inputs: OipInputTensorDto[];
  outputs?: OipRequestedOutputDto[];
}

export class OipOutputTensorDto {
  name: string;
  @ApiProperty({ type: 'array', items: { type: 'integer', minimum: 0 } })
  shape: number[];
  datatype: string;
  /** `binary_data_size` when the output follows the JSON as binary data (then `data` is absent). */
  parameters?: Record<string, unknown>;
  /** Flat, row-major. */
  @ApiProperty({ type: 'array', items: ELEMENT, required: false })
  data?: unknown[];
}

export class OipInferResponseDto {
  model_name: string;
  model_version: string;
  id?: string;
  outputs: OipOutputTensorDto[];
}

export class OipModelMetadataDto {
  name: string;
  versions: string[];
  platform: string;
  inputs: { name: string; datatype: string; shape: number[] }[];
  outputs: { name: string; datatype: string; shape: number[] }[];
}
