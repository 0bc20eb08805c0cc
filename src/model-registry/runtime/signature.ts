import type { InferenceSession } from 'onnxruntime-node';
import { OipDatatype, oipDatatype } from './datatypes';

/** One input or output of a model: its name, datatype and shape (-1 for a variable dimension). */
export interface TensorSpec {
  name: string;
  datatype: OipDatatype;
  shape: number[];
}

export interface Signature {
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

/** Reads the signature from ONNX Runtime's session metadata: nothing is declared twice. */
export function signatureOf(session: Pick<InferenceSession, 'inputMetadata' | 'outputMetadata'>): Signature {
  const specs = (metadata: readonly InferenceSession.ValueMetadata[]): TensorSpec[] =>
    metadata.map((value) => {
      if (!value.isTensor)
        throw new Error(`${value.name} is not a tensor; only tensor inputs and outputs are supported`);
      const datatype = oipDatatype(value.type);
      if (!datatype) throw new Error(`${value.name} has the unsupported element type ${value.type}`);
      return {
        name: value.name,
        datatype,
        shape: value.shape.map((dim) => (typeof dim === 'number' && dim >= 0 ? dim : -1)),
      };
    });
  return { inputs: specs(session.inputMetadata), outputs: specs(session.outputMetadata) };
}

/** Whether the first dimension of every input and output is variable (requests can be stacked). */
export function hasBatchDimension(signature: Signature): boolean {
  return [...signature.inputs, ...signature.outputs].every((spec) => spec.shape.length > 0 && spec.shape[0] === -1);
}
