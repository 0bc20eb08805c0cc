import { DomainError } from '../../common/errors/domain.error';
import { encodeRaw } from '../../data-plane/raw-tensors';
import { ModelErrorCode } from '../../model-registry/model.errors';
import { OipInput, OipRequest, OipResult } from '../v2/oip.service';

/**
 * The messages of `inference.GRPCInferenceService` as @grpc/proto-loader gives them (field names as in
 * the proto, int64 as strings, bytes as Buffers), and their mapping to the protocol-neutral request and
 * result of OipService.
 */

export interface InferParameter {
  bool_param?: boolean;
  int64_param?: string;
  string_param?: string;
  parameter_choice?: string;
}

export interface InferTensorContents {
  bool_contents?: boolean[];
  int_contents?: number[];
  int64_contents?: string[];
  uint_contents?: number[];
  uint64_contents?: string[];
  fp32_contents?: number[];
  fp64_contents?: number[];
  bytes_contents?: Buffer[];
}

export interface ModelInferRequest {
  model_name: string;
  model_version: string;
  id: string;
  parameters: Record<string, InferParameter>;
  inputs: {
    name: string;
    datatype: string;
    shape: string[];
    parameters: Record<string, InferParameter>;
    contents?: InferTensorContents | null;
  }[];
  outputs: { name: string; parameters: Record<string, InferParameter> }[];
  raw_input_contents: Buffer[];
}

export interface ModelInferResponse {
  model_name: string;
  model_version: string;
  id: string;
  outputs: { name: string; datatype: string; shape: string[] }[];
  raw_output_contents: Buffer[];
}

function invalid(message: string): DomainError {
  return new DomainError(ModelErrorCode.InvalidInput, message);
}

/** An int64 of a shape: a safe integer, or the 400 naming the input. */
function dimension(value: string, input: string): number {
  const size = Number(value);
  if (!Number.isSafeInteger(size)) throw invalid(`Input "${input}": shape ${value} is not a dimension.`);
  return size;
}

/** Typed contents of a 64-bit integer tensor, exactly (int64 travel as decimal strings): as raw bytes. */
function bigintBytes(values: string[], unsigned: boolean, input: string): Uint8Array {
  const array = unsigned ? new BigUint64Array(values.length) : new BigInt64Array(values.length);
  values.forEach((value, index) => {
    try {
      array[index] = BigInt(value);
    } catch {
      throw invalid(`Input "${input}": element ${index} is not an integer.`);
    }
  });
  return new Uint8Array(array.buffer);
}

/**
 * The typed contents of an input as what the codecs take: JSON-like `data` (range-checked by the tensor
 * codec) or, for 64-bit integers (exact only as bytes), `raw`.
 */
function typedInput(input: ModelInferRequest['inputs'][number], shape: number[]): OipInput {
  const contents = input.contents ?? {};
  const base = { name: input.name, datatype: input.datatype, shape };
  switch (input.datatype) {
    case 'BOOL':
      return { ...base, data: contents.bool_contents ?? [] };
    case 'INT8':
    case 'INT16':
    case 'INT32':
      return { ...base, data: contents.int_contents ?? [] };
    case 'UINT8':
    case 'UINT16':
    case 'UINT32':
      return { ...base, data: contents.uint_contents ?? [] };
    case 'INT64':
      return { ...base, raw: bigintBytes(contents.int64_contents ?? [], false, input.name) };
    case 'UINT64':
      return { ...base, raw: bigintBytes(contents.uint64_contents ?? [], true, input.name) };
    case 'FP32':
      return { ...base, data: contents.fp32_contents ?? [] };
    case 'FP64':
      return { ...base, data: contents.fp64_contents ?? [] };
    case 'BYTES':
      return { ...base, data: (contents.bytes_contents ?? []).map((bytes) => bytes.toString('utf8')) };
    default:
      // FP16 has no typed contents (the proto says: raw only); unknown datatypes fail in the codec.
      throw invalid(`Input "${input.name}": ${input.datatype} data must be sent as raw_input_contents.`);
  }
}

/** A ModelInfer request as the protocol-neutral request (raw contents in the order of the inputs). */
export function oipRequestOf(request: ModelInferRequest): OipRequest {
  const raw = request.raw_input_contents ?? [];
  if (raw.length > 0 && raw.length !== request.inputs.length) {
    throw invalid(`raw_input_contents has ${raw.length} entries for ${request.inputs.length} inputs.`);
  }
  if (raw.length > 0 && request.inputs.some((input) => input.contents)) {
    throw invalid('Send raw_input_contents or typed contents, not both.');
  }
  const names = request.inputs.map((input) => input.name);
  if (new Set(names).size !== names.length) throw invalid('Each input may appear once.');
  return {
    ...(request.id ? { id: request.id } : {}),
    inputs: request.inputs.map((input, index) => {
      const shape = input.shape.map((size) => dimension(size, input.name));
      return raw.length > 0
        ? { name: input.name, datatype: input.datatype, shape, raw: raw[index] }
        : typedInput(input, shape);
    }),
    outputs: request.outputs.length > 0 ? request.outputs.map((output) => ({ name: output.name })) : undefined,
  };
}

/** The result as a ModelInfer response, every output as raw_output_contents (what Triton answers). */
export function inferResponseOf(result: OipResult): ModelInferResponse {
  return {
    model_name: result.model_name,
    model_version: result.model_version,
    id: result.id ?? '',
    outputs: result.outputs.map((output) => ({
      name: output.name,
      datatype: output.datatype,
      shape: output.shape.map(String),
    })),
    raw_output_contents: result.outputs.map((output) => encodeRaw(output.tensor)),
  };
}
