import { endianness } from 'node:os';
import { Tensor } from 'onnxruntime-node';
import { DomainError } from '../common/errors/domain.error';
import { OipDatatype, ortType, TYPE_INFO } from '../model-registry/runtime/datatypes';
import { TensorSpec } from '../model-registry/runtime/signature';
import { ModelErrorCode } from '../model-registry/model.errors';
import { assertShape, formatShape } from './tensor-codec';

/**
 * Tensors as raw bytes: the Open Inference Protocol's binary form (Triton's binary tensor data
 * extension on REST, `raw_input_contents` / `raw_output_contents` on gRPC). Little-endian, row-major,
 * no padding; BOOL one byte per element; BYTES each element a 4-byte little-endian length then its bytes.
 */

/** Bytes per element (BYTES has none: its elements carry their own lengths). */
const ELEMENT_SIZE: Record<Exclude<OipDatatype, 'BYTES'>, number> = {
  BOOL: 1,
  UINT8: 1,
  INT8: 1,
  UINT16: 2,
  INT16: 2,
  FP16: 2,
  UINT32: 4,
  INT32: 4,
  FP32: 4,
  UINT64: 8,
  INT64: 8,
  FP64: 8,
};

// Typed arrays use the machine's byte order, and the protocol's is little-endian: every machine
// ONNX Runtime's Node.js binaries are built for is.
if (endianness() !== 'LE') throw new Error('Raw tensor data needs a little-endian machine');

function invalid(spec: TensorSpec, message: string): DomainError {
  return new DomainError(ModelErrorCode.InvalidInputShape, `Input "${spec.name}": ${message}`, {
    errors: [{ field: `inputs.${spec.name}`, message }],
  });
}

/** An input sent as raw bytes, as a tensor for `spec` (its declared datatype and shape checked). */
export function decodeRaw(
  spec: TensorSpec,
  datatype: string,
  shape: unknown,
  bytes: Uint8Array,
  maxElements: number,
): Tensor {
  if (datatype !== spec.datatype) {
    throw new DomainError(
      ModelErrorCode.InvalidDatatype,
      `Input "${spec.name}" has datatype ${spec.datatype}, not ${datatype}.`,
    );
  }
  if (!Array.isArray(shape) || !shape.every((size) => Number.isInteger(size))) {
    throw invalid(spec, 'shape must be an array of integers.');
  }
  const dims = shape as number[];
  const elements = assertShape(spec, dims, maxElements);
  if (spec.datatype === 'BYTES') return new Tensor('string', decodeStrings(spec, bytes, elements), dims);
  const size = ELEMENT_SIZE[spec.datatype];
  if (bytes.byteLength !== elements * size) {
    throw invalid(
      spec,
      `shape ${formatShape(dims)} of ${spec.datatype} needs ${elements * size} bytes, the binary data has ${bytes.byteLength}.`,
    );
  }
  // A copy: the bytes may sit at any offset of a larger buffer, and typed arrays need aligned ones.
  const target = TYPE_INFO[spec.datatype].create(elements) as Exclude<
    ReturnType<(typeof TYPE_INFO)['BOOL']['create']>,
    string[]
  >;
  new Uint8Array(target.buffer, target.byteOffset, target.byteLength).set(bytes);
  return new Tensor(ortType(spec.datatype), target, dims);
}

function decodeStrings(spec: TensorSpec, bytes: Uint8Array, elements: number): string[] {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const strings = new Array<string>(elements);
  let offset = 0;
  for (let index = 0; index < elements; index++) {
    if (offset + 4 > view.length) throw invalid(spec, `the binary data ends before element ${index}'s length.`);
    const length = view.readUInt32LE(offset);
    offset += 4;
    if (offset + length > view.length) throw invalid(spec, `element ${index} runs past the end of the binary data.`);
    strings[index] = view.toString('utf8', offset, offset + length);
    offset += length;
  }
  if (offset !== view.length) {
    throw invalid(spec, `the binary data has ${view.length - offset} bytes after its ${elements} elements.`);
  }
  return strings;
}

/** A tensor's data as raw bytes. */
export function encodeRaw(tensor: Tensor): Buffer {
  if (tensor.type === 'string') {
    const parts = (tensor.data as string[]).map((value) => Buffer.from(value, 'utf8'));
    const out = Buffer.allocUnsafe(parts.reduce((sum, part) => sum + 4 + part.length, 0));
    let offset = 0;
    for (const part of parts) {
      out.writeUInt32LE(part.length, offset);
      part.copy(out, offset + 4);
      offset += 4 + part.length;
    }
    return out;
  }
  const data = tensor.data as Exclude<Tensor['data'], string[]>;
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
