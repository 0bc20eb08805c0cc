/** Open Inference Protocol (KServe V2) request and response bodies. */
export class OipInputTensorDto {
  name: string;
  shape: number[];
  datatype: string;
  parameters?: Record<string, unknown>;
  /** Flat or nested, row-major. */
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
  shape: number[];
  datatype: string;
  data: unknown[];
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
