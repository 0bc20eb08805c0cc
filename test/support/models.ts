import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import { Dim, encodeModel, node, valueInfo } from '../../scripts/build-models/onnx-graph';

export const COMMITTED_MODELS = join(__dirname, '..', '..', 'models');

/** A private copy of the committed model repository, for tests that change it. */
export function copyModels(): string {
  const dir = mkdtempSync(join(tmpdir(), 'modelgate-models-'));
  cpSync(COMMITTED_MODELS, dir, { recursive: true });
  return dir;
}

/** A tiny model: `sum = a + b` over tensors of the given element type and shape. */
export function addModel(elemType: onnx.TensorProto.DataType, dims: Dim[]): Uint8Array {
  return encodeModel({
    name: 'add',
    doc: 'test model: sum = a + b',
    inputs: [valueInfo('a', elemType, dims), valueInfo('b', elemType, dims)],
    outputs: [valueInfo('sum', elemType, dims)],
    nodes: [node('Add', ['a', 'b'], ['sum'])],
    initializers: [],
  });
}

/** A tiny model: `y = x` (one input), for datatypes Add does not take (BOOL). */
export function identityModel(elemType: onnx.TensorProto.DataType, dims: Dim[]): Uint8Array {
  return encodeModel({
    name: 'identity',
    doc: 'test model: y = x',
    inputs: [valueInfo('x', elemType, dims)],
    outputs: [valueInfo('y', elemType, dims)],
    nodes: [node('Identity', ['x'], ['y'])],
    initializers: [],
  });
}
