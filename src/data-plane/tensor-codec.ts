import { Tensor } from 'onnxruntime-node';
import { DomainError } from '../common/errors/domain.error';
import { isNumberArray } from '../common/http/json-body';
import { OipDatatype, ortType, TYPE_INFO, TypeInfo } from '../model-registry/runtime/datatypes';
import { ModelErrorCode } from '../model-registry/model.errors';
import { TensorSpec } from '../model-registry/runtime/signature';

type Writable = ReturnType<TypeInfo['create']>;

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function shapeError(spec: TensorSpec, received: readonly number[], why = ''): DomainError {
  return new DomainError(
    ModelErrorCode.InvalidInputShape,
    `Input "${spec.name}": expected shape ${formatShape(spec.shape)} (-1 = any size), received ${formatShape(received)}${why ? `: ${why}` : ''}.`,
    {
      errors: [
        {
          field: `inputs.${spec.name}`,
          message: `expected shape ${formatShape(spec.shape)}, received ${formatShape(received)}`,
        },
      ],
    },
  );
}

/** Checks a shape against the spec (rank, fixed dimensions, element limit); the element count. */
export function assertShape(spec: TensorSpec, shape: readonly number[], maxElements: number): number {
  if (shape.length !== spec.shape.length)
    throw shapeError(spec, shape, `rank ${shape.length} instead of ${spec.shape.length}`);
  shape.forEach((size, axis) => {
    const expected = spec.shape[axis];
    if (!Number.isInteger(size) || size < 1) throw shapeError(spec, shape, `dimension ${axis} is empty`);
    if (expected !== -1 && size !== expected) throw shapeError(spec, shape, `dimension ${axis} must be ${expected}`);
  });
  const elements = shape.reduce((product, size) => product * size, 1);
  if (elements > maxElements) {
    throw new DomainError(
      ModelErrorCode.TensorTooLarge,
      `Input "${spec.name}" has ${elements} elements; the limit is ${maxElements}.`,
    );
  }
  return elements;
}

type Write = (target: Writable, index: number, value: unknown) => void;

type FloatDatatype = 'FP16' | 'FP32' | 'FP64';

const FLOAT_RANGES: Record<FloatDatatype, string> = {
  FP16: 'finite numbers within ±65504',
  FP32: 'finite numbers within ±3.4028235e38',
  FP64: 'finite numbers',
};

/**
 * Whether a number keeps a finite value in the datatype: `1e400` (Infinity once parsed) fits none,
 * `1e39` is finite as a double but Infinity as a float32 (docs/API.md: a 400 naming the input).
 */
function fitsFloat(datatype: OipDatatype, value: number): boolean {
  switch (datatype) {
    case 'FP16':
      return Math.abs(value) < 65520; // from 65520 on, the nearest half is Infinity
    case 'FP32':
      return Number.isFinite(Math.fround(value));
    default:
      return Number.isFinite(value);
  }
}

/** The first index in [from, to) whose float is not finite (a value that overflowed the type), or -1. */
function firstNonFinite(data: Float32Array | Float64Array, from: number, to: number): number {
  for (let index = from; index < to; index++) if (data[index] - data[index] !== 0) return index;
  return -1;
}

/**
 * Converts one JSON value into the element type at a flat index, or explains why it cannot be;
 * `where` names the element (from its flat index) only when an error needs it.
 */
function writer(spec: TensorSpec, datatype: OipDatatype, where: (index: number) => string): Write {
  const info = TYPE_INFO[datatype];
  const fail = (value: unknown, index: number, expected: string): never => {
    const shown =
      typeof value === 'number' && !Number.isFinite(value) ? 'a number out of range' : JSON.stringify(value);
    throw new DomainError(
      ModelErrorCode.InvalidDatatype,
      `Input "${spec.name}" takes ${datatype} (${expected}); element ${where(index)} is ${shown ?? String(value)}.`,
      { errors: [{ field: `inputs.${spec.name}`, message: `expected ${datatype} values` }] },
    );
  };
  switch (info.kind) {
    case 'float': {
      const range = FLOAT_RANGES[datatype as FloatDatatype];
      if (datatype === 'FP16') {
        return (target, index, value) => {
          if (typeof value !== 'number' || !fitsFloat(datatype, value)) fail(value, index, range);
          (target as Uint16Array)[index] = toHalf(value as number);
        };
      }
      return (target, index, value) => {
        if (typeof value !== 'number' || !fitsFloat(datatype, value)) fail(value, index, range);
        (target as Float32Array)[index] = value as number;
      };
    }
    case 'integer':
      return (target, index, value) => {
        if (
          typeof value !== 'number' ||
          !Number.isInteger(value) ||
          value < (info.min as number) ||
          value > (info.max as number)
        ) {
          fail(value, index, `integers from ${String(info.min)} to ${String(info.max)}`);
        }
        (target as Int32Array)[index] = value as number;
      };
    case 'bigint':
      return (target, index, value) => {
        if (typeof value !== 'number' || !Number.isSafeInteger(value))
          fail(value, index, 'integers within ±9007199254740991, the ones JSON numbers hold exactly');
        const big = BigInt(value as number);
        if (big < (info.min as bigint) || big > (info.max as bigint)) fail(value, index, 'integers in range');
        (target as BigInt64Array)[index] = big;
      };
    case 'bool':
      return (target, index, value) => {
        if (typeof value !== 'boolean') fail(value, index, 'true or false');
        (target as Uint8Array)[index] = value ? 1 : 0;
      };
    case 'string':
      return (target, index, value) => {
        if (typeof value !== 'string') fail(value, index, 'strings');
        (target as string[])[index] = value as string;
      };
  }
}

/**
 * The shape a nested array claims, read along its first elements. An array of numbers is the last axis:
 * its first element is not read, because one load site that sees both arrays of arrays and arrays of
 * doubles makes V8's optimised code convert the doubles to boxed numbers (elements kind transition).
 */
function nestedShape(value: unknown): number[] {
  const shape: number[] = [];
  let cursor = value;
  while (Array.isArray(cursor)) {
    shape.push(cursor.length);
    if (isNumberArray(cursor)) break;
    cursor = cursor[0];
  }
  return shape;
}

/** Float tensors that an array of numbers can be copied into in one call. */
function bulkCopyable(datatype: OipDatatype): boolean {
  return datatype === 'FP32' || datatype === 'FP64';
}

/** The nested index `[i][j]...` of a flat (row-major) index into `shape`. */
function nestedIndex(shape: readonly number[], index: number): string {
  const parts: number[] = [];
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    parts.unshift(index % shape[axis]);
    index = Math.floor(index / shape[axis]);
  }
  return `[${parts.join('][')}]`;
}

/**
 * A nested JSON array (row-major) as a tensor for `spec`, validating rank, dimensions, element count
 * and every element's type on the way: one typed-array allocation, no per-element allocations.
 */
export function decodeNested(spec: TensorSpec, value: unknown, maxElements: number): Tensor {
  const shape = nestedShape(value);
  const elements = assertShape(spec, shape, maxElements);
  const data = TYPE_INFO[spec.datatype].create(elements);
  const write = writer(spec, spec.datatype, (index) => nestedIndex(shape, index));
  const last = shape.length - 1;
  const bulk = bulkCopyable(spec.datatype);
  const path: number[] = [];
  let index = 0;
  const walk = (node: unknown, axis: number): void => {
    if (!Array.isArray(node) || node.length !== shape[axis]) {
      const length = Array.isArray(node) ? node.length : 'not an array';
      throw shapeError(
        spec,
        shape,
        `the array at [${path.join('][')}] has length ${length}, not ${shape[axis]} (ragged)`,
      );
    }
    if (axis === last) {
      if (bulk && isNumberArray(node)) {
        (data as Float32Array | Float64Array).set(node, index);
        const overflow = firstNonFinite(data as Float32Array | Float64Array, index, index + node.length);
        if (overflow >= 0) write(data, overflow, node[overflow - index]); // throws, naming the element
        index += node.length;
        return;
      }
      for (let i = 0; i < node.length; i++) write(data, index++, node[i]);
      return;
    }
    for (let i = 0; i < node.length; i++) {
      path.push(i);
      walk(node[i], axis + 1);
      path.pop();
    }
  };
  if (shape.length === 0) write(data, index++, value);
  else walk(value, 0);
  return new Tensor(ortType(spec.datatype), data, shape);
}

/**
 * An Open Inference Protocol input: declared datatype and shape, data flat or nested (row-major).
 */
export function decodeDeclared(
  spec: TensorSpec,
  datatype: string,
  shape: unknown,
  data: unknown,
  maxElements: number,
): Tensor {
  if (datatype !== spec.datatype) {
    throw new DomainError(
      ModelErrorCode.InvalidDatatype,
      `Input "${spec.name}" has datatype ${spec.datatype}, not ${datatype}.`,
    );
  }
  if (!Array.isArray(shape) || !shape.every((size) => Number.isInteger(size))) {
    throw new DomainError(
      ModelErrorCode.InvalidInputShape,
      `Input "${spec.name}": shape must be an array of integers.`,
    );
  }
  const elements = assertShape(spec, shape as number[], maxElements);
  if (!Array.isArray(data))
    throw new DomainError(ModelErrorCode.InvalidInput, `Input "${spec.name}": data must be an array.`);
  const numbers = isNumberArray(data); // flat already, and nothing but numbers
  const flat = numbers ? data : (data.flat(Infinity) as unknown[]);
  if (flat.length !== elements) {
    throw new DomainError(
      ModelErrorCode.InvalidInputShape,
      `Input "${spec.name}": shape ${formatShape(shape as number[])} needs ${elements} values, data has ${flat.length}.`,
    );
  }
  const target = TYPE_INFO[spec.datatype].create(elements);
  const write = writer(spec, spec.datatype, (index) => `[${index}] (flat)`);
  if (numbers && bulkCopyable(spec.datatype)) {
    (target as Float32Array | Float64Array).set(flat as number[]);
    const overflow = firstNonFinite(target as Float32Array | Float64Array, 0, elements);
    if (overflow >= 0) write(target, overflow, flat[overflow]); // throws, naming the element
    return new Tensor(ortType(spec.datatype), target, shape as number[]);
  }
  for (let i = 0; i < flat.length; i++) write(target, i, flat[i]);
  return new Tensor(ortType(spec.datatype), target, shape as number[]);
}

/** Tensor values as JSON values (int64 as numbers, bool as booleans, FP16 as numbers). */
export function flatValues(tensor: Tensor): unknown[] {
  const data = tensor.data as ArrayLike<unknown>;
  switch (tensor.type) {
    case 'int64':
    case 'uint64':
      return Array.from(data as BigInt64Array, Number);
    case 'bool':
      return Array.from(data as Uint8Array, (value) => value !== 0);
    case 'float16':
      return Array.from(data as Uint16Array, fromHalf);
    default: {
      // A loop: Array.from on a typed array goes through its iterator, several times slower.
      const values = new Array<unknown>(data.length);
      for (let i = 0; i < data.length; i++) values[i] = data[i];
      return values;
    }
  }
}

/** Tensor values (`flat`, when the caller has them already) as a nested array of the tensor's shape. */
export function nestedValues(tensor: Tensor, flat = flatValues(tensor)): unknown {
  const dims = tensor.dims.map(Number);
  if (dims.length === 0) return flat[0];
  let offset = 0;
  const build = (axis: number): unknown[] => {
    if (axis === dims.length - 1) {
      const row = flat.slice(offset, offset + dims[axis]);
      offset += dims[axis];
      return row;
    }
    return Array.from({ length: dims[axis] }, () => build(axis + 1));
  };
  return build(0);
}

const halfView = new DataView(new ArrayBuffer(4));

function toHalf(value: number): number {
  halfView.setFloat32(0, value);
  const bits = halfView.getUint32(0);
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  const mantissa = bits & 0x7fffff;
  if (exponent <= 0) return sign;
  if (exponent >= 31) return sign | 0x7c00 | (Number.isNaN(value) ? 0x200 : 0);
  return sign | (exponent << 10) | (mantissa >>> 13);
}

function fromHalf(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}
