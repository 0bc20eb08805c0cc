import { onnx } from 'onnx-proto';

const { DataType } = onnx.TensorProto;
export type ElemType = onnx.TensorProto.DataType;
export const FLOAT = DataType.FLOAT;
export const INT64 = DataType.INT64;
export const STRING = DataType.STRING;

/** A dimension: a number is fixed, a string is a named variable dimension (e.g. the batch). */
export type Dim = number | string;

export function valueInfo(name: string, elemType: ElemType, dims: Dim[]): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((dim) => (typeof dim === 'number' ? { dimValue: dim } : { dimParam: dim })) },
      },
    },
  };
}

export function floatTensor(name: string, dims: number[], values: ArrayLike<number>): onnx.ITensorProto {
  const data = Float32Array.from(values);
  return { name, dims, dataType: FLOAT, rawData: new Uint8Array(data.buffer) };
}

type AttributeValue = number | string;

export function node(
  opType: string,
  inputs: string[],
  outputs: string[],
  attributes: Record<string, AttributeValue> = {},
): onnx.INodeProto {
  return {
    opType,
    input: inputs,
    output: outputs,
    name: `${opType}_${outputs[0]}`,
    attribute: Object.entries(attributes).map(([name, value]) =>
      typeof value === 'number'
        ? { name, type: onnx.AttributeProto.AttributeType.INT, i: value }
        : { name, type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(value) },
    ),
  };
}

export interface GraphSpec {
  name: string;
  doc: string;
  inputs: onnx.IValueInfoProto[];
  outputs: onnx.IValueInfoProto[];
  nodes: onnx.INodeProto[];
  initializers: onnx.ITensorProto[];
}

/** Serialises a graph as an ONNX model (IR 8, opset 17). */
export function encodeModel(spec: GraphSpec): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    producerName: 'modelgate-build-models',
    producerVersion: '1',
    docString: spec.doc,
    graph: {
      name: spec.name,
      docString: spec.doc,
      input: spec.inputs,
      output: spec.outputs,
      node: spec.nodes,
      initializer: spec.initializers,
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

export interface DenseLayer {
  /** Row-major [inputs, outputs]. */
  weights: Float64Array;
  bias: Float64Array;
  inputs: number;
  outputs: number;
}

/**
 * A classifier graph: standardisation baked in ((x - mean) / std), dense layers with ReLU between
 * them, softmax `probabilities` and arg-max `label` outputs.
 */
export function classifierGraph(
  name: string,
  doc: string,
  mean: ArrayLike<number>,
  std: ArrayLike<number>,
  layers: DenseLayer[],
): GraphSpec {
  const features = layers[0].inputs;
  const classes = layers[layers.length - 1].outputs;
  const nodes: onnx.INodeProto[] = [
    node('Sub', ['input', 'mean'], ['centered']),
    node('Div', ['centered', 'std'], ['h0']),
  ];
  const initializers = [floatTensor('mean', [features], mean), floatTensor('std', [features], std)];
  layers.forEach((layer, index) => {
    const last = index === layers.length - 1;
    initializers.push(floatTensor(`W${index}`, [layer.inputs, layer.outputs], layer.weights));
    initializers.push(floatTensor(`b${index}`, [layer.outputs], layer.bias));
    nodes.push(node('Gemm', [`h${index}`, `W${index}`, `b${index}`], [last ? 'logits' : `z${index}`]));
    if (!last) nodes.push(node('Relu', [`z${index}`], [`h${index + 1}`]));
  });
  nodes.push(node('Softmax', ['logits'], ['probabilities'], { axis: 1 }));
  nodes.push(node('ArgMax', ['probabilities'], ['label'], { axis: 1, keepdims: 0 }));
  return {
    name,
    doc,
    inputs: [valueInfo('input', FLOAT, ['batch', features])],
    outputs: [valueInfo('probabilities', FLOAT, ['batch', classes]), valueInfo('label', INT64, ['batch'])],
    nodes,
    initializers,
  };
}
