import type { Tensor } from 'onnxruntime-node';

/** Open Inference Protocol tensor datatypes. */
export type OipDatatype =
  | 'BOOL'
  | 'UINT8'
  | 'UINT16'
  | 'UINT32'
  | 'UINT64'
  | 'INT8'
  | 'INT16'
  | 'INT32'
  | 'INT64'
  | 'FP16'
  | 'FP32'
  | 'FP64'
  | 'BYTES';

export type OrtType = Tensor.Type;

const ORT_TO_OIP: Partial<Record<OrtType, OipDatatype>> = {
  bool: 'BOOL',
  uint8: 'UINT8',
  uint16: 'UINT16',
  uint32: 'UINT32',
  uint64: 'UINT64',
  int8: 'INT8',
  int16: 'INT16',
  int32: 'INT32',
  int64: 'INT64',
  float16: 'FP16',
  float32: 'FP32',
  float64: 'FP64',
  string: 'BYTES',
};

export function oipDatatype(ortType: string): OipDatatype | undefined {
  return ORT_TO_OIP[ortType as OrtType];
}

const OIP_TO_ORT = Object.fromEntries(Object.entries(ORT_TO_OIP).map(([ort, oip]) => [oip, ort])) as Record<
  OipDatatype,
  OrtType
>;

export function ortType(datatype: OipDatatype): OrtType {
  return OIP_TO_ORT[datatype] ?? 'float32';
}

export type ElementKind = 'float' | 'integer' | 'bigint' | 'bool' | 'string';

export interface TypeInfo {
  kind: ElementKind;
  /** Inclusive range for integer types. */
  min?: number | bigint;
  max?: number | bigint;
  create(
    length: number,
  ):
    | Float32Array
    | Float64Array
    | Int8Array
    | Uint8Array
    | Int16Array
    | Uint16Array
    | Int32Array
    | Uint32Array
    | BigInt64Array
    | BigUint64Array
    | string[];
}

export const TYPE_INFO: Record<OipDatatype, TypeInfo> = {
  BOOL: { kind: 'bool', create: (n) => new Uint8Array(n) },
  UINT8: { kind: 'integer', min: 0, max: 255, create: (n) => new Uint8Array(n) },
  UINT16: { kind: 'integer', min: 0, max: 65_535, create: (n) => new Uint16Array(n) },
  UINT32: { kind: 'integer', min: 0, max: 4_294_967_295, create: (n) => new Uint32Array(n) },
  UINT64: { kind: 'bigint', min: 0n, max: 18_446_744_073_709_551_615n, create: (n) => new BigUint64Array(n) },
  INT8: { kind: 'integer', min: -128, max: 127, create: (n) => new Int8Array(n) },
  INT16: { kind: 'integer', min: -32_768, max: 32_767, create: (n) => new Int16Array(n) },
  INT32: { kind: 'integer', min: -2_147_483_648, max: 2_147_483_647, create: (n) => new Int32Array(n) },
  INT64: {
    kind: 'bigint',
    min: -9_223_372_036_854_775_808n,
    max: 9_223_372_036_854_775_807n,
    create: (n) => new BigInt64Array(n),
  },
  // FP16 travels as float32 values in JSON; ONNX Runtime takes a Uint16Array of half-precision bits.
  FP16: { kind: 'float', create: (n) => new Uint16Array(n) },
  FP32: { kind: 'float', create: (n) => new Float32Array(n) },
  FP64: { kind: 'float', create: (n) => new Float64Array(n) },
  BYTES: { kind: 'string', create: (n) => new Array<string>(n) },
};
