import { DomainError } from '../../common/errors/domain.error';
import { assertCleanBody, jsonDepthExceeds, tooDeep } from '../../common/http/input-hygiene';
import { parseJsonFast } from '../../common/http/json-body';
import { encodeRaw } from '../../data-plane/raw-tensors';
import { flatValues } from '../../data-plane/tensor-codec';
import { ModelErrorCode } from '../../model-registry/model.errors';
import { OipInput, OipRequest, OipResult } from './oip.service';
import { OipInferResponseDto } from './oip.dto';

/** The header that carries the JSON part's length in a binary request or response (Triton's extension). */
export const INFERENCE_HEADER_LENGTH = 'inference-header-content-length';

function invalid(message: string): DomainError {
  return new DomainError(ModelErrorCode.InvalidInput, message);
}

type Parameters = Record<string, unknown> | undefined;

function parametersOf(value: unknown, where: string): Parameters {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(`${where} "parameters" must be an object.`);
  }
  return value as Record<string, unknown>;
}

function booleanParameter(parameters: Parameters, name: string, where: string): boolean | undefined {
  const value = parameters?.[name];
  if (value !== undefined && typeof value !== 'boolean')
    throw invalid(`${where} parameter "${name}" must be a boolean.`);
  return value;
}

/**
 * The JSON inference request (API.md: the Open Inference Protocol, REST), with the binary tensor data
 * extension's parameters: `binary_data_size` on an input (its bytes follow the JSON), `binary_data` on a
 * requested output and `binary_data_output` on the request (outputs in binary form).
 */
export function parseJsonRequest(body: unknown, binary = false): OipRequest & { binarySizes: (number | undefined)[] } {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw invalid('The body must be a JSON object with "inputs".');
  const { id, inputs, outputs, parameters } = body as Record<string, unknown>;
  if (id !== undefined && typeof id !== 'string') throw invalid('"id" must be a string.');
  if (!Array.isArray(inputs) || inputs.length === 0) throw invalid('"inputs" must be a non-empty array of tensors.');
  const binarySizes: (number | undefined)[] = [];
  const parsed: OipInput[] = inputs.map((input: unknown, index) => {
    const tensor = input as Record<string, unknown> | null;
    if (
      typeof tensor !== 'object' ||
      tensor === null ||
      typeof tensor.name !== 'string' ||
      typeof tensor.datatype !== 'string'
    ) {
      throw invalid(`inputs[${index}] needs "name", "shape", "datatype" and "data".`);
    }
    const where = `Input "${tensor.name.slice(0, 64)}"`;
    const size = parametersOf(tensor.parameters, where)?.binary_data_size;
    if (size !== undefined && (!Number.isSafeInteger(size) || (size as number) < 0)) {
      throw invalid(`${where}: "binary_data_size" must be a non-negative integer.`);
    }
    if (size !== undefined && !binary) {
      throw invalid(`${where} has "binary_data_size", but the request has no Inference-Header-Content-Length.`);
    }
    if (size !== undefined && tensor.data !== undefined) throw invalid(`${where} has both "data" and binary data.`);
    if (tensor.shape === undefined || (tensor.data === undefined && size === undefined))
      throw invalid(`${where} needs "shape" and "data".`);
    binarySizes.push(size as number | undefined);
    return { name: tensor.name, datatype: tensor.datatype, shape: tensor.shape, data: tensor.data };
  });
  const names = parsed.map((input) => input.name);
  if (new Set(names).size !== names.length) throw invalid('Each input may appear once.');
  if (outputs !== undefined && !Array.isArray(outputs)) throw invalid('"outputs" must be an array of {"name"}.');
  const requested = (outputs as unknown[] | undefined)?.map((output) => {
    const { name, parameters: outputParameters } = (output ?? {}) as Record<string, unknown>;
    if (typeof name !== 'string') throw invalid('"outputs" must be an array of {"name"}.');
    const where = `Output "${name.slice(0, 64)}"`;
    return { name, binary: booleanParameter(parametersOf(outputParameters, where), 'binary_data', where) };
  });
  return {
    ...(id !== undefined ? { id } : {}),
    inputs: parsed,
    outputs: requested,
    binaryOutputs: booleanParameter(parametersOf(parameters, 'The request'), 'binary_data_output', 'The request'),
    binarySizes,
  };
}

/**
 * A binary request: `headerLength` bytes of JSON, then each binary input's bytes in the order of the
 * inputs (Triton's binary tensor data extension).
 */
export function parseBinaryRequest(body: Buffer, headerLength: string): OipRequest {
  const length = /^\d{1,10}$/.test(headerLength.trim()) ? Number(headerLength) : NaN;
  if (!Number.isSafeInteger(length) || length <= 0 || length > body.length) {
    throw invalid(`Inference-Header-Content-Length must be the length of the JSON part, 1 to ${body.length} bytes.`);
  }
  const header = body.subarray(0, length);
  let json = parseJsonFast(header);
  if (json === undefined) {
    if (jsonDepthExceeds(header)) throw tooDeep();
    try {
      json = JSON.parse(header.toString('utf8'));
    } catch {
      throw new DomainError(ModelErrorCode.InvalidInput, 'The JSON part of the binary request is not valid JSON.');
    }
    assertCleanBody(json);
  }
  const { binarySizes, ...request } = parseJsonRequest(json, true);
  let offset = length;
  request.inputs.forEach((input, index) => {
    const size = binarySizes[index];
    if (size === undefined) return;
    if (offset + size > body.length) {
      throw invalid(`Input "${input.name}": its ${size} bytes of binary data run past the end of the body.`);
    }
    input.raw = body.subarray(offset, offset + size);
    offset += size;
  });
  if (offset !== body.length) {
    throw invalid(`The body has ${body.length - offset} bytes after the inputs' binary data.`);
  }
  return request;
}

/**
 * The response: JSON when no output was asked for in binary form, else the JSON part followed by each
 * binary output's bytes, with the JSON part's length for the Inference-Header-Content-Length header.
 */
export function encodeResponse(result: OipResult): {
  json: OipInferResponseDto;
  binary?: Buffer;
  headerLength?: number;
} {
  const binaries: Buffer[] = [];
  const json: OipInferResponseDto = {
    model_name: result.model_name,
    model_version: result.model_version,
    ...(result.id !== undefined ? { id: result.id } : {}),
    outputs: result.outputs.map(({ name, shape, datatype, tensor, binary }) => {
      if (!binary) return { name, shape, datatype, data: flatValues(tensor) };
      const raw = encodeRaw(tensor);
      binaries.push(raw);
      return { name, shape, datatype, parameters: { binary_data_size: raw.length } };
    }),
  };
  if (binaries.length === 0) return { json };
  const header = Buffer.from(JSON.stringify(json));
  return { json, binary: Buffer.concat([header, ...binaries]), headerLength: header.length };
}
